import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type RequestHandler, Router } from 'express';
import { packageRoot } from '../shared/package-root.js';

/**
 * The GraphiQL IDE at `GET /graphql`, for a person with a browser. Everything it loads comes from
 * this server, out of installed npm packages (GraphiQL 3's UMD build with React 18, and
 * graphql-ws's UMD client): no CDN, font or image from elsewhere, so it works offline and under
 * the server's CSP (scripts and styles from our own origin only; GraphiQL's fonts and icons are
 * data: URIs inside its stylesheet).
 *
 * Queries and mutations go over HTTP with the headers from GraphiQL's Headers tab; subscriptions
 * go over graphql-ws, whose connection carries the same Authorization header (a changed header
 * opens a new connection). Example operations are the files of `examples/graphql/`, one tab each.
 */

const BASE = '/graphql/ide';

/** The only files served, by the name the page asks for. */
const ASSETS: Record<string, { module: string; file: string; type: string }> = {
  'react.js': { module: 'react', file: 'umd/react.production.min.js', type: 'application/javascript' },
  'react-dom.js': { module: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'application/javascript' },
  'graphiql.js': { module: 'graphiql', file: 'graphiql.min.js', type: 'application/javascript' },
  'graphiql.css': { module: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
  'graphql-ws.js': { module: 'graphql-ws', file: 'umd/graphql-ws.js', type: 'application/javascript' },
};

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
<div id="graphiql">Loading GraphiQL…</div>
<script src="${BASE}/react.js"></script>
<script src="${BASE}/react-dom.js"></script>
<script src="${BASE}/graphiql.js"></script>
<script src="${BASE}/graphql-ws.js"></script>
<script src="${BASE}/init.js"></script>
</body>
</html>
`;

const PAGE_CSS = 'html, body, #graphiql { height: 100%; margin: 0; width: 100%; overflow: hidden; }\n';

/**
 * The page's own script (a file, since the CSP forbids inline scripts). One fetcher per
 * Authorization value: GraphiQL's own fetcher sends HTTP requests with the Headers tab, and its
 * graphql-ws client is created with that header as the connection's authorization.
 */
const INIT_SCRIPT = `(function () {
  var httpUrl = location.origin + '/graphql';
  var wsUrl = httpUrl.replace(/^http/, 'ws');
  var fetchers = {};
  function authorizationOf(headers) {
    if (!headers) return undefined;
    for (var name in headers) if (name.toLowerCase() === 'authorization') return String(headers[name]);
    return undefined;
  }
  function fetcherFor(authorization) {
    var key = authorization || '';
    if (!fetchers[key]) {
      var wsClient = graphqlWs.createClient({
        url: wsUrl,
        lazy: true,
        connectionParams: authorization ? { authorization: authorization } : {},
      });
      fetchers[key] = GraphiQL.createFetcher({ url: httpUrl, wsClient: wsClient });
    }
    return fetchers[key];
  }
  function fetcher(params, options) {
    // The schema is public (introspection needs no token): it loads even while the Headers tab
    // holds a placeholder or an expired token, which would fail the whole request with 401.
    if (params && params.operationName === 'IntrospectionQuery') {
      var anonymous = Object.assign({}, options, { headers: {} });
      return fetcherFor(undefined)(params, anonymous);
    }
    return fetcherFor(authorizationOf(options && options.headers))(params, options);
  }
  fetch('${BASE}/examples.json').then(function (response) { return response.json(); }).then(function (tabs) {
    var root = ReactDOM.createRoot(document.getElementById('graphiql'));
    // GraphiQL fills its editors from these props, not from the active tab: the first tab's values go here too.
    var first = tabs[0] || {};
    root.render(React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: tabs,
      query: first.query,
      variables: first.variables,
      headers: first.headers,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    }));
  });
})();
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
export function graphiqlRouter(): Router {
  const router = Router();
  const require = createRequire(import.meta.url);
  const examples = JSON.stringify(exampleOperations());
  router.get('/graphql', (req, res, next) => {
    if (!wantsPage(req)) return next();
    res.type('html').send(PAGE);
  });
  router.get(`${BASE}/init.js`, (_req, res) => {
    res.type('application/javascript').send(INIT_SCRIPT);
  });
  router.get(`${BASE}/page.css`, (_req, res) => {
    res.type('text/css').send(PAGE_CSS);
  });
  router.get(`${BASE}/examples.json`, (_req, res) => {
    res.type('application/json').send(examples);
  });
  router.get(`${BASE}/:asset`, (req, res) => {
    const asset = ASSETS[req.params.asset];
    if (!asset) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    const path = join(dirname(require.resolve(`${asset.module}/package.json`)), asset.file);
    res.type(asset.type).setHeader('Cache-Control', 'public, max-age=3600');
    res.sendFile(path);
  });
  return router;
}
