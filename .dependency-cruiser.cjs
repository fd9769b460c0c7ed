/**
 * Import rules (issue 17), checked by `npm run lint` (in .ci/run). Errors hold today and must keep
 * holding; warnings are the renovation still to do (their count is printed on every run).
 */
module.exports = {
  forbidden: [
    {
      name: 'services-know-no-transport',
      comment: 'Services own the rules and never import a transport (DESIGN §2).',
      severity: 'error',
      from: { path: '\\.service\\.ts$' },
      to: { path: '(^|/)node_modules/(express|type-graphql|graphql|@apollo|graphql-ws|ws)/' },
    },
    {
      name: 'rest-runs-graphql-operations',
      comment: 'REST dialects are clients of the schema: they run GraphQL operations and call no service.',
      severity: 'error',
      // The OpenAPI document only quotes the services' limits (constants), so it states what they enforce.
      from: { path: '^src/rest/', pathNot: '^src/rest/openapi/' },
      to: { path: '\\.service\\.ts$' },
    },
    {
      name: 'graphql-only-from-adapters',
      comment: 'The request scope lives in app/ (the composition root); only GraphQL adapters (resolvers, types, graphql-ws, the server) import src/graphql/.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: ['\\.(resolver|types)\\.ts$', '^src/graphql/', '^src/server\\.ts$', '^src/cli/emit-schema\\.ts$', '^src/ws/graphql-ws\\.ts$', '^src/attachments/graphql-uploads\\.ts$'],
      },
      to: { path: '^src/graphql/' },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Folders should depend one way; type-only imports and the entity model (relations point both ways) do not count.',
      severity: 'warn',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(generated|dist)/' },
  },
};
