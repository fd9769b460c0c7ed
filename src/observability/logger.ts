import { AsyncLocalStorage } from 'node:async_hooks';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, pino } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogLevel } from '../config/config.js';

/** What the access line of one request reports beyond method, path and status. */
export interface RequestTrace {
  /** The W3C trace id (32 hex): the OpenTelemetry trace's when tracing is on. */
  traceId: string;
  /** The request's own span id (16 hex): its server span's when tracing is on. */
  spanId: string;
  /** A caller's own `x-trace-id` that is no W3C trace id, kept so its logs can be found by it. */
  alias?: string;
  /** Set when the request ran GraphQL operations: their root fields and the error codes they answered. */
  graphql?: { fields: string[]; errors?: string[] };
}

/** The trace of the request (or operation) being served, for every log line written under it. */
export const traceContext = new AsyncLocalStorage<RequestTrace>();

/** Path segments that are credentials: seed 003's guest session key, `/api/v1/chat/guest/session/{key}/…`. */
const CREDENTIAL_IN_PATH = /(\/guest\/session\/)[^/]+/gi;

/** A request path fit for a log line: no query string (it can carry `?token=`), credentials in its segments redacted. */
export function loggablePath(url: string): string {
  return url.split('?')[0]!.replace(CREDENTIAL_IN_PATH, '$1[redacted]');
}

/**
 * One human line per entry for a developer at a terminal: level names and local time instead of
 * numbers, and the fields every line carries left out. Synchronous, so nothing written just before
 * `process.exit` is lost.
 */
function prettyStream(): DestinationStream {
  return pinoPretty({
    sync: true,
    colorize: pinoPretty.isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    messageKey: 'msg',
    // Access lines read `request POST /graphql 200 12.7ms {"fields":["me"],…}`.
    messageFormat: '{msg}{if method} {method} {path} {status} {ms}ms{end}',
    ignore: 'pid,hostname,service,method,path,status,ms',
  });
}

/**
 * Logs with `trace_id` and `span_id` on each line written inside a request or a traced operation: JSON (one object per line, for collectors) or pretty (see
 * Config.logFormat). Redaction is a backstop: code never logs message text, tokens, passwords or
 * contact details in the first place.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream, format: 'json' | 'pretty' = 'json'): Logger {
  const options = {
    level,
    base: { service: 'parley' },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    // The active OpenTelemetry span when tracing is on (a resolver's, a query's), else the request's own ids.
    mixin: () => {
      const request = traceContext.getStore();
      const alias = request?.alias === undefined ? {} : { trace_alias: request.alias };
      const span = trace.getActiveSpan()?.spanContext();
      if (span && isSpanContextValid(span)) return { trace_id: span.traceId, span_id: span.spanId, ...alias };
      return request ? { trace_id: request.traceId, span_id: request.spanId, ...alias } : {};
    },
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'authorization',
        '*.authorization',
        'email',
        '*.email',
        'phone',
        '*.phone',
        'content',
        '*.content',
        // Guest session keys are bearer credentials (seed 003's session_id).
        'sessionKey',
        '*.sessionKey',
        'session_key',
        '*.session_key',
      ],
      censor: '[redacted]',
    },
  };
  const stream = destination ?? (format === 'pretty' ? prettyStream() : undefined);
  return stream ? pino(options, stream) : pino(options);
}
