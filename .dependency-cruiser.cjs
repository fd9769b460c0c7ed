/**
 * Import rules, checked by `npm run lint` (in .ci/run): every rule is an error, and each holds today.
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
      comment: 'The request scope lives in app/ (the composition root); GraphQL adapters (resolvers, types, uploads) live in graphql/, and only the server, graphql-ws and the schema printer import it.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/graphql/', '^src/server\\.ts$', '^src/cli/emit-schema\\.ts$', '^src/ws/graphql-ws\\.ts$'] },
      to: { path: '^src/graphql/' },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Folders depend one way: shared ← config ← model ← db ← domain folders ← app (composition) ← graphql / rest / ws ← server. Type-only imports count too.',
      severity: 'error',
      scope: 'folder',
      // Entities relate both ways (a message has attachments, an attachment its message), so the
      // whole entity model lives in model/, below every service.
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'client-sdk-stands-alone',
      comment: 'The SDK (client/, @parley/client) is published on its own: it speaks to the server only over HTTP and WebSocket, never through its code.',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^(src|test|bench)/' },
    },
    {
      name: 'uploads-written-once',
      comment: 'Uploaded bytes go straight from the request into their staging file (graphql/upload-request.ts, attachments/intake.ts), not through graphql-upload\'s own parser, which copies every file into an fs-capacitor temporary file first (bench/NOTES.md). The upload tests also fail on any open fs-capacitor file.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '(^|/)node_modules/graphql-upload/processRequest', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'demo-is-an-sdk-user',
      comment: 'The demo console (demo/, /demo) is what an SDK user writes: it reaches the server through @parley/client only.',
      severity: 'error',
      from: { path: '^demo/' },
      to: { path: '^(src|test|bench)/' },
    },
    {
      name: 'server-knows-no-client',
      comment: 'The server never depends on its SDK.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(client|demo)/' },
    },
  ],
  options: {
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(generated|dist)/' },
  },
};
