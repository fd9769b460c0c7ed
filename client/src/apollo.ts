/**
 * Apollo Client cache configuration for Parley: `new InMemoryCache({ possibleTypes, typePolicies })`.
 * Plain objects in Apollo's shapes, so this package does not depend on @apollo/client.
 */

/** The schema's unions and interfaces with their members (a test checks this against schema.graphql). */
export const possibleTypes: Record<string, string[]> = {
  SessionEvent: ['MessageEvent', 'ReadEvent', 'SessionUpdateEvent', 'TypingEvent'],
};

const STATUS_ORDER: Record<string, number> = { SENT: 0, DELIVERED: 1, READ: 2 };

/** Read state only moves forward: of two copies keep the furthest (SENT < DELIVERED < READ). */
function furthestStatus(existing: string | undefined, incoming: string): string {
  if (existing === undefined) return incoming;
  return (STATUS_ORDER[incoming] ?? 0) >= (STATUS_ORDER[existing] ?? 0) ? incoming : existing;
}

interface ConnectionEdge {
  cursor: string;
  node: unknown;
}
interface Connection {
  edges?: ConnectionEdge[];
  pageInfo?: { startCursor?: string | null; endCursor?: string | null; hasPreviousPage?: boolean; hasNextPage?: boolean };
  [field: string]: unknown;
}

/**
 * Relay-style merge of a connection's pages (`messages(sessionId, first/after, last/before)`,
 * `inboxConnection(filter, order, first/after)`, …) into one list per key: a page asked `after` a cursor
 * goes after it, `before` a cursor before it, a page with neither replaces the list. Edges are
 * kept unique by cursor.
 */
function mergeConnection(existing: Connection | undefined, incoming: Connection, args: Record<string, unknown> | null): Connection {
  const old = existing?.edges ?? [];
  const fresh = incoming.edges ?? [];
  let edges: ConnectionEdge[];
  if (!existing || (!args?.after && !args?.before)) edges = fresh;
  else if (args.after) {
    const at = old.findIndex((edge) => edge.cursor === args.after);
    edges = [...(at < 0 ? old : old.slice(0, at + 1)), ...fresh];
  } else {
    const at = old.findIndex((edge) => edge.cursor === args.before);
    edges = [...fresh, ...(at < 0 ? old : old.slice(at))];
  }
  const seen = new Set<string>();
  edges = edges.filter((edge) => !seen.has(edge.cursor) && seen.add(edge.cursor));
  const pageInfo = {
    ...existing?.pageInfo,
    ...incoming.pageInfo,
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges.at(-1)?.cursor ?? null,
    hasPreviousPage: args?.after && existing?.pageInfo ? Boolean(existing.pageInfo.hasPreviousPage) : Boolean(incoming.pageInfo?.hasPreviousPage),
    hasNextPage: args?.before && existing?.pageInfo ? Boolean(existing.pageInfo.hasNextPage) : Boolean(incoming.pageInfo?.hasNextPage),
  };
  return { ...existing, ...incoming, edges, pageInfo };
}

/** Fields of a Message that belong to its version: a copy with a lower version must not overwrite them. */
const VERSIONED_FIELDS = ['content', 'editedAt', 'deletedAt', 'attachments', 'metadata', 'version'];

type StoreValue = Record<string, unknown>;
interface MergeOptions {
  readField(fieldName: string, from?: unknown): unknown;
  args: Record<string, unknown> | null;
}

/**
 * Of two copies of a message keep the higher version's content. Apollo calls a type's merge with
 * the entity in the cache and every incoming field, after the field merges below (which keep the
 * furthest status and read flag whatever the versions).
 */
function mergeMessage(existing: unknown, incoming: StoreValue, { readField }: MergeOptions): StoreValue {
  // Called again for the field that points at the message, with references: nothing to choose there.
  if (!existing || '__ref' in incoming) return incoming;
  const had = readField('version', existing);
  const got = readField('version', incoming);
  if (typeof had === 'number' && typeof got === 'number' && got < had) {
    const older: StoreValue = {};
    for (const [field, value] of Object.entries(incoming)) if (!VERSIONED_FIELDS.includes(field)) older[field] = value;
    return older; // Apollo merges the returned fields into the cached entity
  }
  return incoming;
}

interface Wrapper {
  items?: unknown[];
  [field: string]: unknown;
}

/** Offset pages (`messagesPage(offset, limit)`, `sessions(page, limit)`) merged into one wrapper: items land at their offset. */
function offsetWrapper(offsetOf: (args: Record<string, unknown>) => number, keyArgs: string[]) {
  return {
    keyArgs,
    merge(existing: Wrapper | undefined, incoming: Wrapper, { args }: MergeOptions): Wrapper {
      const items = [...(existing?.items ?? [])];
      const offset = args ? offsetOf(args) : 0;
      (incoming.items ?? []).forEach((item, index) => {
        items[offset + index] = item;
      });
      return { ...existing, ...incoming, items };
    },
  };
}

/** The latest write wins for these fields; declaring a merge makes Apollo run Message's own merge for any selection of them. */
const latest = { merge: (_existing: unknown, incoming: unknown) => incoming };

/** A Relay connection field: one merged list per value of `keyArgs` (the arguments other than the paging ones). */
function connectionField(keyArgs: string[]) {
  return {
    keyArgs,
    merge: (existing: Connection | undefined, incoming: Connection, { args }: MergeOptions) => mergeConnection(existing, incoming, args),
  };
}

export const typePolicies = {
  Query: {
    fields: {
      messages: connectionField(['sessionId', 'includeNotes']),
      roomMessages: connectionField(['roomId', 'includeNotes']),
      inboxConnection: connectionField(['filter', 'order']),
      cannedResponsesConnection: connectionField(['shortCodePrefix', 'query']),
      webhookDeliveriesConnection: connectionField(['webhookId', 'status']),
      searchMessages: connectionField(['query', 'sessionId', 'from', 'to', 'order']),
      searchSessions: connectionField(['query', 'order']),
      messagesPage: offsetWrapper((args) => Number(args.offset ?? 0), ['sessionId', 'includeNotes']),
      sessions: offsetWrapper((args) => (Number(args.page ?? 1) - 1) * Number(args.limit ?? 20), ['filter']),
    },
  },
  Message: {
    merge: mergeMessage,
    fields: {
      // A replayed MessageEvent carries its send-time status: never let it move the cache back.
      status: { merge: (existing: string | undefined, incoming: string) => furthestStatus(existing, incoming) },
      read: { merge: (existing: boolean | undefined, incoming: boolean) => Boolean(existing) || incoming },
      content: latest,
      editedAt: latest,
      deletedAt: latest,
      metadata: latest,
      version: latest,
    },
  },
  ReadState: { keyFields: ['id'] },
};
