import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { packageRoot } from '../shared/package-root.js';

/**
 * The demo console at `/demo` (DEMO, on in development): a customer widget page and an agent view,
 * built from demo/ and the client SDK into dist/demo by `npm run build`. Only the files that build
 * wrote are served, by exact name; the pages load scripts and styles from this origin only, so
 * they run under the server's CSP. `/demo/config.json` hands the widget page the default tenant's
 * widget key (a public value: every site embedding the widget carries its key).
 */
export function demoRouter(options: { defaultWidgetKey: () => Promise<string | null>; folder?: string }): Router {
  const folder = options.folder ?? join(packageRoot(), 'dist', 'demo');
  const router = Router();
  const pages: Record<string, string> = { '/demo': 'index.html', '/demo/': 'index.html', '/demo/widget': 'widget.html', '/demo/agent': 'agent.html' };
  const built = existsSync(join(folder, 'assets'));
  const assets = new Set(built ? readdirSync(join(folder, 'assets')) : []);

  router.get('/demo/config.json', (_req, res, next) => {
    options
      .defaultWidgetKey()
      .then((widgetKey) => {
        res.setHeader('Cache-Control', 'no-store');
        res.json({ widgetKey });
      })
      .catch(next);
  });
  router.get(Object.keys(pages), (req, res) => {
    if (!built) {
      res.status(503).type('text/plain').send('The demo console is not built: run `npm run build`.');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(join(folder, pages[req.path]!));
  });
  router.get('/demo/assets/:file', (req, res) => {
    const file = req.params.file;
    if (!assets.has(file)) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(join(folder, 'assets', file));
  });
  return router;
}
