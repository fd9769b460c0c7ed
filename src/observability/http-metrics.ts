import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Metrics } from './metrics.js';

/** Requests that matched no route share one label, so a scan of random paths cannot grow the series count. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route pattern a request matched: `/api/v1/chat/sessions/:id/messages`, never the raw path,
 * whose ids and tokens would make one time series per request. Mounted middleware without a
 * route of its own (e.g. `/graphql`) reports its mount path; mount paths are static strings here.
 */
export function routePattern(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string') return `${req.baseUrl}${route.path}`;
  return req.baseUrl || UNMATCHED_ROUTE;
}

/** Observes every HTTP request's latency once its response is finished (or the client went away). */
export function recordHttpMetrics(metrics: Metrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const stop = metrics.httpDuration.startTimer();
    let done = false;
    const observe = () => {
      if (done) return;
      done = true;
      stop({ method: req.method, route: routePattern(req), status: String(res.statusCode) });
    };
    res.once('finish', observe);
    res.once('close', observe);
    next();
  };
}

/** `GET /metrics`: the registry in Prometheus text exposition format. */
export function metricsEndpoint(metrics: Metrics): RequestHandler {
  return async (_req: Request, res: Response, next: NextFunction) => {
    try {
      const body = await metrics.registry.metrics();
      res.setHeader('content-type', metrics.registry.contentType);
      res.setHeader('cache-control', 'no-store');
      res.end(body);
    } catch (error) {
      next(error);
    }
  };
}
