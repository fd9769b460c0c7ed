import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type RequestHandler, Router } from 'express';
import { packageRoot } from '../shared/package-root.js';

/**
 * The GraphiQL IDE at `GET /graphql`, for a person with a browser. Everything it loads comes from
 * this server: GraphiQL 3's UMD build with React 18 out of the installed npm packages, and the
 * page's own script and stylesheet (graphiql/, bundled with the graphql-ws client into
 * dist/graphiql by `npm run build`). No CDN, font or image from elsewhere, so it works offline and
 * under the server's CSP (scripts and styles from our own origin only; GraphiQL's fonts and icons
 * are data: URIs inside its stylesheet).
 *
 * A sign-in bar above the editors calls `login` once and serves every tab: the token goes with
 * every operation whose tab sets no Authorization header of its own, over HTTP and as the
 * graphql-ws connection's authorization, and is renewed with the refresh token
 * (graphiql/src/page.ts). Example operations are the files of `examples/graphql/`, one tab each.
 */

const BASE = '/graphql/ide';

/** Files served from installed packages, by the name the page asks for. */
const PACKAGE_ASSETS: Record<string, { module: string; file: string; type: string }> = {
  'react.js': { module: 'react', file: 'umd/react.production.min.js', type: 'application/javascript' },
  'react-dom.js': { module: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'application/javascript' },
  'graphiql.js': { module: 'graphiql', file: 'graphiql.min.js', type: 'application/javascript' },
  'graphiql.css': { module: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

/** The page's own files, as `npm run build` writes them into dist/graphiql. */
const BUILT_ASSETS: Record<string, string> = { 'page.js': 'application/javascript', 'page.js.map': 'application/json', 'page.css': 'text/css' };

/**
 * Variables the page learns from a result and fills into later operations that declare them but
 * whose tab's Variables leave them out: the example tabs after "create a session" need no id
 * copied by hand. `path` leads into the result's `data`.
 */
export const SHARED_VARIABLES: readonly { variable: string; path: string[] }[] = [{ variable: 'sessionId', path: ['createSession', 'id'] }];

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Parley GraphQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${BASE}/graphiql.css">
<link rel="stylesheet" href="${BASE}/page.css">
</head>
<body>
<header class="parley-bar" aria-label="Sign-in for every tab">
<strong>Parley GraphQL</strong>
<form id="parley-signin-form" hidden>
<label>Username <input name="username" autocomplete="username" value="admin" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<label>Tenant <input name="tenant" placeholder="default" autocomplete="organization"></label>
<label id="parley-second-factor" hidden>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" placeholder="app code or recovery code"></label>
<button type="submit">Sign in</button>
<span class="parley-note">for every tab, until this browser tab closes</span>
</form>
<div id="parley-signed-in" class="parley-signed-in" hidden>
<span>Signed in as <b id="parley-who"></b></span>
<span id="parley-expiry" class="parley-expiry"></span>
<button id="parley-signout" type="button">Sign out</button>
</div>
<span id="parley-status" class="parley-status" role="status"></span>
<span id="parley-shared" class="parley-shared"></span>
</header>
<div id="graphiql">Loading GraphiQL…</div>
<script src="${BASE}/react.js"></script>
<script src="${BASE}/react-dom.js"></script>
<script src="${BASE}/graphiql.js"></script>
<script src="${BASE}/page.js"></script>
</body>
</html>
`;

export interface ExampleTab {
  query: string;
  variables?: string;
}

/** `examples/graphql/*.graphql` in name order, each with its `NAME.variables.json` when there is one. */
export function exampleOperations(folder = join(packageRoot(), 'examples', 'graphql')): ExampleTab[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => {
      const variablesFile = join(folder, name.replace(/\.graphql$/, '.variables.json'));
      const query = readFileSync(join(folder, name), 'utf8');
      return existsSync(variablesFile) ? { query, variables: readFileSync(variablesFile, 'utf8') } : { query };
    });
}

/** A browser asking for a page: GET without a GraphQL query in the URL, HTML accepted. */
const wantsPage: (req: Parameters<RequestHandler>[0]) => boolean = (req) => req.method === 'GET' && req.query.query === undefined && req.accepts(['application/json', 'text/html']) === 'text/html';

/** Mount before the GraphQL endpoint: it answers only page and asset requests, everything else passes on. */
export function graphiqlRouter(options: { builtFolder?: string } = {}): Router {
  const router = Router();
  const require = createRequire(import.meta.url);
  const built = options.builtFolder ?? join(packageRoot(), 'dist', 'graphiql');
  const config = JSON.stringify({ tabs: exampleOperations(), shared: SHARED_VARIABLES });
  router.get('/graphql', (req, res, next) => {
    if (!wantsPage(req)) return next();
    if (!existsSync(join(built, 'page.js'))) {
      res.status(503).type('text/plain').send('The GraphiQL page is not built: run `npm run build`.');
      return;
    }
    res.type('html').setHeader('Cache-Control', 'no-cache');
    res.send(PAGE);
  });
  router.get(`${BASE}/config.json`, (_req, res) => {
    res.type('application/json').send(config);
  });
  router.get(`${BASE}/:asset`, (req, res) => {
    const name = req.params.asset;
    const own = Object.hasOwn(BUILT_ASSETS, name) ? BUILT_ASSETS[name] : undefined;
    const asset = Object.hasOwn(PACKAGE_ASSETS, name) ? PACKAGE_ASSETS[name] : undefined;
    if (own) {
      res.type(own).setHeader('Cache-Control', 'no-cache');
      res.sendFile(join(built, name));
    } else if (asset) {
      res.type(asset.type).setHeader('Cache-Control', 'public, max-age=3600');
      res.sendFile(join(dirname(require.resolve(`${asset.module}/package.json`)), asset.file));
    } else res.status(404).type('text/plain').send('Not found');
  });
  return router;
}
