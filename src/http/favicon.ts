import type { Router } from 'express';
import { Router as createRouter } from 'express';

/**
 * The site icon: a speech bubble. Browsers ask for `/favicon.ico` on every page this server
 * serves (GraphiQL, the demo console, the API docs); a 404 there is a console error on each, so
 * the icon is answered always, whatever else is switched off. SVG, which every current browser
 * takes as an icon whatever the path's extension says.
 */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f6feb"/><path d="M8 9h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2h-9l-5 4v-4H8a2 2 0 0 1-2-2v-9a2 2 0 0 1 2-2z" fill="#fff"/></svg>`;

export function faviconRouter(): Router {
  const router = createRouter();
  const body = Buffer.from(FAVICON_SVG, 'utf8');
  router.get(['/favicon.ico', '/favicon.svg'], (_req, res) => {
    res.type('image/svg+xml').setHeader('Cache-Control', 'public, max-age=86400');
    res.send(body);
  });
  return router;
}
