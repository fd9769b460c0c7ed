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
 * Relay-style merge of `messages(sessionId, first/after, last/before)` pages into one list per
 * session: a page asked `after` a cursor goes after it, `before` a cursor before it, a page with
 * neither replaces the list. Edges are kept unique by cursor.
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

/** Wrapper pages (`{ items totalCount … }`) are values of their field, not entities: merge their fields. */
const mergeWrapper = { merge: true } as const;

export const typePolicies = {
  Query: {
    fields: {
      messages: {
        keyArgs: ['sessionId'],
        merge: (existing: Connection | undefined, incoming: Connection, { args }: { args: Record<string, unknown> | null }) => mergeConnection(existing, incoming, args),
      },
    },
  },
  Message: {
    fields: {
      // A replayed MessageEvent carries its send-time status: never let it move the cache back.
      status: { merge: (existing: string | undefined, incoming: string) => furthestStatus(existing, incoming) },
      read: { merge: (existing: boolean | undefined, incoming: boolean) => Boolean(existing) || incoming },
      version: { merge: (existing: number | undefined, incoming: number) => Math.max(existing ?? 0, incoming) },
    },
  },
  ReadState: { keyFields: ['id'] },
  MessagePage: mergeWrapper,
  SessionPage: mergeWrapper,
  MessageConnection: mergeWrapper,
  PageInfo: mergeWrapper,
};
