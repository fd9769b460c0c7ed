import { createHash, timingSafeEqual } from 'node:crypto';
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

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `GET /metrics`: the registry in Prometheus text exposition format. With a token (METRICS_TOKEN)
 * the scraper must send it as a bearer token; compared as digests, in constant time.
 */
export function metricsEndpoint(metrics: Metrics, token: string | null = null): RequestHandler {
  const expected = token === null ? null : digest(`Bearer ${token}`);
  return async (req: Request, res: Response, next: NextFunction) => {
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      res.setHeader('www-authenticate', 'Bearer realm="metrics"');
      res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'GET /metrics requires the metrics token (METRICS_TOKEN) as a bearer token' } });
      return;
    }
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
