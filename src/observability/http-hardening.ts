import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from '../config/config.js';

/**
 * Security headers on every response, and CORS limited to the configured browser origins
 * (a request from any other origin gets no CORS headers, so browsers refuse to read the answer).
 * The CSP allows only same-origin scripts and styles: the API serves JSON, and the /docs page
 * loads its assets from this server.
 */
export function httpHardening(config: Pick<Config, 'corsOrigins' | 'env'>): RequestHandler[] {
  const allowed = new Set(config.corsOrigins);
  return [
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        // Only our own origin: GraphiQL's fonts and icons are data: URIs inside its own stylesheet;
        // blob: images are attachments the demo console fetched with its token.
        directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:', 'blob:'], 'font-src': ["'self'", 'data:'] },
      },
      crossOriginResourcePolicy: { policy: 'same-site' },
      hsts: config.env === 'production',
    }),
    cors({
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      allowedHeaders: ['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-trace-id', 'x-widget-key'],
      exposedHeaders: ['x-trace-id', 'ratelimit', 'ratelimit-policy', 'retry-after'],
      maxAge: 600,
    }),
  ];
}
