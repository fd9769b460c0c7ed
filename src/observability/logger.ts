import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config.js';

/** The trace id of the request (or operation) being served, for every log line written under it. */
export const traceContext = new AsyncLocalStorage<{ traceId: string }>();

/** Path segments that are credentials: seed 003's guest session key, `/api/v1/chat/guest/session/{key}/…`. */
const CREDENTIAL_IN_PATH = /(\/guest\/session\/)[^/]+/gi;

/** A request path fit for a log line: no query string (it can carry `?token=`), credentials in its segments redacted. */
export function loggablePath(url: string): string {
  return url.split('?')[0]!.replace(CREDENTIAL_IN_PATH, '$1[redacted]');
}

/**
 * JSON logs with `trace_id` on each line. Redaction is a backstop: code never logs
 * message text, tokens, passwords or contact details in the first place.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
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
        'password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'email', '*.email', 'phone', '*.phone', 'content', '*.content',
        // Guest session keys are bearer credentials (seed 003's session_id).
        'sessionKey', '*.sessionKey', 'session_key', '*.session_key',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
