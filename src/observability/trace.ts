import { defaultTextMapGetter, isSpanContextValid, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { loggablePath, type RequestTrace, traceContext } from './logger.js';
import { randomHexId, TRACE_ID_HEADER, TraceHeadersPropagator } from './propagation.js';

/** What an incoming `x-trace-id` may look like to be echoed and logged as the request's alias. */
const TRACE_ALIAS = /^[A-Za-z0-9-]{8,64}$/;

/** Probes poll every few seconds; at info they would drown the lines worth reading (and they get no spans). */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

const propagator = new TraceHeadersPropagator();

/**
 * The request's trace and span ids. With tracing on, the HTTP instrumentation has already started
 * the request's server span (continuing an incoming `traceparent`); with tracing off, the same
 * propagation rules give the trace id, and the request gets a span id of its own.
 */
function requestIds(req: Request): { traceId: string; spanId: string } {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && isSpanContextValid(active)) return active;
  const parent = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter));
  return { traceId: parent?.traceId ?? randomHexId(16), spanId: randomHexId(8) };
}

/**
 * Gives each request its W3C trace id (continuing an incoming `traceparent`, or a 32-hex
 * `x-trace-id`) for every log line written under it, answers it in `x-trace-id` (a caller's other
 * sane `x-trace-id` is echoed instead and logged as `trace_alias`), and logs one access line per
 * request: with the GraphQL root fields and error codes when it ran an operation (recorded on
 * the request's trace by the GraphQL access plugin).
 */
export function traceRequests(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.header(TRACE_ID_HEADER);
    const { traceId, spanId } = requestIds(req);
    const alias = incoming && TRACE_ALIAS.test(incoming) && incoming.toLowerCase() !== traceId ? incoming : undefined;
    if (alias !== undefined) trace.getActiveSpan()?.setAttribute('parley.trace_alias', alias);
    res.setHeader(TRACE_ID_HEADER, alias ?? traceId);
    res.locals.traceId = alias ?? traceId;
    const requestTrace: RequestTrace = alias === undefined ? { traceId, spanId } : { traceId, spanId, alias };
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      traceContext.run(requestTrace, () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        // Never the query string (?token=) nor a guest session key in the path.
        const path = loggablePath(req.originalUrl);
        const line = { method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10, ...requestTrace.graphql };
        if (PROBE_PATHS.has(path)) logger.debug(line, 'request');
        else logger.info(line, 'request');
      });
    });
    traceContext.run(requestTrace, () => next());
  };
}
