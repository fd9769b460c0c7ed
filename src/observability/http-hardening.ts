import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from '../config/config.js';

/**
 * Security headers on every response, and CORS limited to the configured browser origins
 * (a request from any other origin gets no CORS headers, so browsers refuse to read the answer).
 * The CSP allows only same-origin scripts and styles: the API serves JSON, and the /docs page
 * loads its assets from this server. Only a server whose PUBLIC_URL is https claims to be https
 * only (HSTS, `upgrade-insecure-requests`): reached over plain http (a LAN address, no TLS in
 * front), upgrading would send the pages' own assets to an https port nobody listens on.
 */
export function httpHardening(config: Pick<Config, 'corsOrigins' | 'publicUrl'>): RequestHandler[] {
  const allowed = new Set(config.corsOrigins);
  const httpsOnly = config.publicUrl?.startsWith('https:') === true;
  return [
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        // Only our own origin: GraphiQL's fonts and icons are data: URIs inside its own stylesheet;
        // blob: images are attachments the demo console fetched with its token.
        directives: {
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:', 'blob:'],
          'font-src': ["'self'", 'data:'],
          'upgrade-insecure-requests': httpsOnly ? [] : null,
        },
      },
      crossOriginResourcePolicy: { policy: 'same-site' },
      hsts: httpsOnly,
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
