/** Abusive GraphQL documents, shared by the HTTP and WebSocket suites: both transports must refuse each the same way. */

/** `n` levels of introspection nesting under `__type`, which (unlike `__schema`) the depth rule counts. */
export const deepType = (n: number) => `__type(name: "Query") { ${'fields { type { '.repeat(n)}name${' } }'.repeat(n)} }`;

export const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');

/** [name, document, what the refusal says] for the default limits (depth 10, aliases 15, tokens 2000, directives 10, cost 5000). */
export const ABUSIVE_DOCUMENTS: [string, string, RegExp][] = [
  ['depth beyond the limit', `{ ${deepType(6)} }`, /depth limit/i],
  ['too many aliases', `{ ${aliases(16, 'me { id }')} }`, /aliases limit/i],
  ['a document over the token limit', `{ me { ${'id '.repeat(2100)}} }`, /more that 2000 tokens/i],
  ['too many directives', `{ me ${'@include(if: true) '.repeat(11)}{ id } }`, /directives limit/i],
  [
    'a cost bomb',
    `{ ${aliases(3, 'messages(sessionId: "1", first: 100) { edges { cursor node { id uuid content senderType senderName createdAt read status metadata sessionId } } pageInfo { hasNextPage endCursor } }')} }`,
    /cost limit/i,
  ],
  ['fragment cycles', 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }', /cannot spread fragment "A" within itself/i],
  ['the __schema-named fragment depth bypass', `query { ...__schema } fragment __schema on Query { ${deepType(6)} }`, /depth limit/i],
];
