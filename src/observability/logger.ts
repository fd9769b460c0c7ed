import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogLevel } from '../config/config.js';

/** What the access line of one request reports beyond method, path and status. */
export interface RequestTrace {
  traceId: string;
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
 * Logs with `trace_id` on each line: JSON (one object per line, for collectors) or pretty (see
 * Config.logFormat). Redaction is a backstop: code never logs message text, tokens, passwords or
 * contact details in the first place.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream, format: 'json' | 'pretty' = 'json'): Logger {
  const options = {
    level,
    base: { service: 'parley' },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const traceId = traceContext.getStore()?.traceId;
      return traceId ? { trace_id: traceId } : {};
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
