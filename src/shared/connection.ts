import { badInput } from './errors.js';
import { isId } from './validate.js';

/** Relay's page information, as every cursor-paged list returns it. */
export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Edge<N> {
  cursor: string;
  node: N;
}

/** One page of a cursor-paged list in Relay's shape: services return it, GraphQL connection types mirror it. */
export interface Connection<N> {
  edges: Edge<N>[];
  pageInfo: PageInfo;
}

/**
 * A page read forward: `edges` are the rows kept of the `size + 1` read, `more` whether the extra
 * one came back. A page that starts after a cursor has one before it (what Relay allows a forward
 * page to answer without another query).
 */
export function forwardConnection<N>(edges: Edge<N>[], more: boolean, after: string | null | undefined): Connection<N> {
  return {
    edges,
    pageInfo: {
      hasNextPage: more,
      hasPreviousPage: after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/**
 * Cursors are opaque to clients: base64url of `<kind>:<key>`. The kind keeps one list's cursor from
 * being taken by another. These carry a single id, the paging key.
 */
export function encodeIdCursor(kind: string, id: string): string {
  return Buffer.from(`${kind}:${id}`, 'utf8').toString('base64url');
}

/** The id in a cursor of `kind`; INVALID_CURSOR for anything else. */
export function decodeIdCursor(kind: string, cursor: string, field: string): string {
  const raw = typeof cursor === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const id = raw.startsWith(`${kind}:`) ? raw.slice(kind.length + 1) : '';
  if (!isId(id)) throw badInput(field, `${field} is not a valid cursor`, 'INVALID_CURSOR');
  return id;
}

/** The same page with each node mapped (a service's nodes to a transport's). */
export function mapNodes<C extends Connection<unknown>, B>(connection: C, toNode: (node: C['edges'][number]['node']) => B): Omit<C, 'edges'> & { edges: Edge<B>[] } {
  return { ...connection, edges: connection.edges.map(({ cursor, node }) => ({ cursor, node: toNode(node) })) };
}
