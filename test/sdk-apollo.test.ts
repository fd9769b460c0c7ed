import { ApolloClient, ApolloLink, gql, InMemoryCache } from '@apollo/client';
import { possibleTypes, typePolicies } from '../client/src/index.js';

/**
 * Apollo Client 4 with the SDK's cache settings: a replayed event never moves a message
 * back (content by version, status to the furthest), and paged wrappers merge.
 */
const MESSAGE = gql`
  fragment M on Message {
    id
    content
    editedAt
    status
    read
    version
  }
`;

const HISTORY = gql`
  query History($sessionId: ID!, $last: Int, $before: String) {
    messages(sessionId: $sessionId, last: $last, before: $before) {
      lastEventId
      totalCount
      pageInfo {
        hasPreviousPage
        hasNextPage
        startCursor
        endCursor
      }
      edges {
        cursor
        node {
          ...M
        }
      }
    }
  }
  ${MESSAGE}
`;

/** What a sessionEvents frame writes; Query stands in for Subscription (the cache treats root fields alike). */
const EVENT = gql`
  query Event {
    sessionEvent {
      __typename
      ... on MessageEvent {
        id
        type
        message {
          ...M
        }
      }
      ... on ReadEvent {
        id
        messageId
      }
    }
  }
  ${MESSAGE}
`;

const PAGE = gql`
  query Page($sessionId: ID!, $offset: Int, $limit: Int) {
    messagesPage(sessionId: $sessionId, offset: $offset, limit: $limit) {
      totalCount
      hasMore
      items {
        ...M
      }
    }
  }
  ${MESSAGE}
`;

const message = (id: string, fields: { content: string; version: number; status: string; read?: boolean; editedAt?: string | null }) => ({
  __typename: 'Message',
  id,
  editedAt: null,
  read: false,
  ...fields,
});
const edge = (id: string, fields: Parameters<typeof message>[1]) => ({ __typename: 'MessageEdge', cursor: `c${id}`, node: message(id, fields) });
const pageInfo = (start: string, end: string, hasPreviousPage: boolean) => ({ __typename: 'PageInfo', startCursor: start, endCursor: end, hasPreviousPage, hasNextPage: false });

function apollo() {
  return new ApolloClient({ cache: new InMemoryCache({ possibleTypes, typePolicies }), link: ApolloLink.empty() });
}

const read = (client: ApolloClient, id: string) => client.cache.readFragment<Record<string, unknown>>({ id: `Message:${id}`, fragment: MESSAGE });

describe('Apollo Client type policies from the SDK', () => {
  it('a replayed message.created never regresses an edited, read message; a newer version still wins', () => {
    const client = apollo();
    client.writeQuery({
      query: HISTORY,
      variables: { sessionId: '1', last: 2 },
      data: {
        messages: {
          __typename: 'MessageConnection',
          lastEventId: '10',
          totalCount: 1,
          pageInfo: pageInfo('c5', 'c5', false),
          edges: [edge('5', { content: 'edited', version: 2, status: 'READ', read: true, editedAt: '2026-01-01T00:01:00Z' })],
        },
      },
    });
    const replay = (fields: Parameters<typeof message>[1], id: string) =>
      client.writeQuery({ query: EVENT, data: { sessionEvent: { __typename: 'MessageEvent', id, type: 'MESSAGE_CREATED', message: message('5', fields) } } });

    replay({ content: 'original', version: 1, status: 'SENT' }, '7');
    expect(read(client, '5')).toMatchObject({ content: 'edited', version: 2, status: 'READ', read: true, editedAt: '2026-01-01T00:01:00Z' });

    replay({ content: 'edited again', version: 3, status: 'SENT', editedAt: '2026-01-01T00:02:00Z' }, '11');
    expect(read(client, '5')).toMatchObject({ content: 'edited again', version: 3, status: 'READ', read: true, editedAt: '2026-01-01T00:02:00Z' });

    // A union member written through the union (possibleTypes) reads back as its own type.
    client.writeQuery({ query: EVENT, data: { sessionEvent: { __typename: 'ReadEvent', id: '12', messageId: '5' } } });
    expect(client.readQuery<{ sessionEvent: { __typename: string } }>({ query: EVENT })?.sessionEvent.__typename).toBe('ReadEvent');
  });

  it('Relay pages of messages merge into one list per session; offset pages land at their offset', () => {
    const client = apollo();
    const at = (edges: ReturnType<typeof edge>[], hasPreviousPage: boolean) => ({
      messages: { __typename: 'MessageConnection', lastEventId: '20', totalCount: 4, pageInfo: pageInfo(edges[0]!.cursor, edges.at(-1)!.cursor, hasPreviousPage), edges },
    });
    client.writeQuery({
      query: HISTORY,
      variables: { sessionId: '1', last: 2 },
      data: at([edge('3', { content: 'c', version: 1, status: 'SENT' }), edge('4', { content: 'd', version: 1, status: 'SENT' })], true),
    });
    client.writeQuery({
      query: HISTORY,
      variables: { sessionId: '1', last: 2, before: 'c3' },
      data: at([edge('1', { content: 'a', version: 1, status: 'SENT' }), edge('2', { content: 'b', version: 1, status: 'SENT' })], false),
    });
    const merged = client.readQuery<{ messages: { edges: { node: { content: string } }[]; pageInfo: { hasPreviousPage: boolean; startCursor: string } } }>({
      query: HISTORY,
      variables: { sessionId: '1', last: 2 },
    });
    expect(merged?.messages.edges.map((e) => e.node.content)).toEqual(['a', 'b', 'c', 'd']);
    expect(merged?.messages.pageInfo).toMatchObject({ hasPreviousPage: false, startCursor: 'c1' });

    const page = (offset: number, ids: string[]) =>
      client.writeQuery({
        query: PAGE,
        variables: { sessionId: '1', offset, limit: 2 },
        data: { messagesPage: { __typename: 'MessagePage', totalCount: 4, hasMore: offset + 2 < 4, items: ids.map((id) => message(id, { content: `m${id}`, version: 1, status: 'SENT' })) } },
      });
    page(0, ['1', '2']);
    page(2, ['3', '4']);
    const pages = client.readQuery<{ messagesPage: { items: { content: string }[]; hasMore: boolean } }>({ query: PAGE, variables: { sessionId: '1', offset: 0, limit: 2 } });
    expect(pages?.messagesPage.items.map((item) => item.content)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });
});
