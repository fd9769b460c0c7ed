import { ApolloClient, HttpLink, InMemoryCache, type TypePolicies } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { typePolicies as sdkTypePolicies } from '../client/src/index.js';
import { UserRole } from '../src/shared/enums.js';
import {
  CannedResponsesConnectionDocument,
  CannedResponsesDocument,
  CreateCannedResponseDocument,
  CreateSessionDocument,
  CreateWebhookDocument,
  DeprecatedFieldsDocument,
  InboxConnectionDocument,
  InboxPageDocument,
  MessagesConnectionDocument,
  SearchMessagesConnectionDocument,
  SearchSessionsConnectionDocument,
  SendMessageDocument,
  WebhookDeliveriesConnectionDocument,
  WebhookDeliveriesDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { eventually } from './helpers/deadline.js';
import { type Actor, assignedSession, foreignTenantAdmin, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FAST_RETRIES, startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * Every cursor-paged list is a Relay connection that Apollo Client 4 pages with its own
 * `relayStylePagination()` (and with the SDK's type policies): each item once, in order, across
 * pages fetched with fetchMore. The deprecated pre-connection fields still answer as before, from
 * the same service call, with the same access rules.
 */
const COUNT = 7;
const PAGE = 3;

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface Connection {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: PageInfo;
}
type Vars = Record<string, unknown>;

let t: TestServer;
let admin: Actor;
let agent: Actor;
let otherAgent: Actor;
let customer: Actor;
let foreign: Actor;
let receiver: WebhookReceiver;

/** Inbox rows have no id of their own: their session's stands for them. */
const idOf = (node: { id?: string; session?: { id: string } }) => node.id ?? node.session!.id;

const connectionOf = (data: unknown, field: string) => (data as Record<string, Connection>)[field]!;

/**
 * Pages through a connection with Apollo Client: the first page by watchQuery, the rest by
 * fetchMore `after` the merged list's endCursor, until hasNextPage is false. Returns the merged
 * list as the cache reads it and every page as the server sent it.
 */
async function pageAll(document: TypedDocumentNode<unknown, Vars>, field: string, variables: Vars, token: string, policies: TypePolicies) {
  const client = new ApolloClient({ link: new HttpLink({ uri: t.graphqlUrl, headers: { authorization: `Bearer ${token}` } }), cache: new InMemoryCache({ typePolicies: policies }) });
  try {
    const query = client.watchQuery({ query: document, variables: { ...variables, first: PAGE } });
    const first = new Promise<unknown>((resolve, reject) => {
      const subscription = query.subscribe({
        next: (result) => {
          if (result.dataState !== 'complete') return;
          subscription.unsubscribe();
          resolve(result.data);
        },
        error: reject,
      });
    });
    const pages: Connection[] = [connectionOf(await first, field)];
    const keepAlive = query.subscribe({});
    const merged = () => connectionOf(client.readQuery({ query: document, variables: { ...variables, first: PAGE } }), field);
    while (merged().pageInfo.hasNextPage) {
      if (pages.length > COUNT) throw new Error(`${field}: more pages than items`);
      const more = await query.fetchMore({ variables: { after: merged().pageInfo.endCursor } });
      pages.push(connectionOf(more.data, field));
    }
    keepAlive.unsubscribe();
    return { merged: merged(), pages };
  } finally {
    client.stop();
  }
}

const relayPolicies = (field: string, keyArgs: string[]): TypePolicies => ({ Query: { fields: { [field]: relayStylePagination(keyArgs) } } });

interface Case {
  name: string;
  document: TypedDocumentNode<unknown, Vars>;
  field: string;
  keyArgs: string[];
  variables: () => Vars;
  token: () => string;
  /** Every item's id, in the connection's order. */
  expected: () => string[];
}

const ids = {
  inbox: [] as string[],
  canned: [] as string[],
  deliveries: [] as string[],
  messages: [] as string[],
  sessions: [] as string[],
  session: '',
  webhook: '',
};

const cases: Case[] = [
  {
    name: 'inboxConnection',
    document: InboxConnectionDocument as TypedDocumentNode<unknown, Vars>,
    field: 'inboxConnection',
    keyArgs: ['filter'],
    variables: () => ({ filter: { assignee: 'ME' } }),
    token: () => agent.token,
    expected: () => [...ids.inbox].reverse(), // newest activity first: the last one assigned leads
  },
  {
    name: 'cannedResponsesConnection',
    document: CannedResponsesConnectionDocument as TypedDocumentNode<unknown, Vars>,
    field: 'cannedResponsesConnection',
    keyArgs: ['shortCodePrefix', 'query'],
    variables: () => ({ shortCodePrefix: 'relay-' }),
    token: () => agent.token,
    expected: () => ids.canned, // by short code, created in that order
  },
  {
    name: 'webhookDeliveriesConnection',
    document: WebhookDeliveriesConnectionDocument as TypedDocumentNode<unknown, Vars>,
    field: 'webhookDeliveriesConnection',
    keyArgs: ['webhookId', 'status'],
    variables: () => ({ webhookId: ids.webhook }),
    token: () => admin.token,
    expected: () => ids.deliveries,
  },
  {
    name: 'messages',
    document: MessagesConnectionDocument as TypedDocumentNode<unknown, Vars>,
    field: 'messages',
    keyArgs: ['sessionId'],
    variables: () => ({ sessionId: ids.session }),
    token: () => admin.token,
    expected: () => ids.messages,
  },
  {
    name: 'searchMessages',
    document: SearchMessagesConnectionDocument as TypedDocumentNode<unknown, Vars>,
    field: 'searchMessages',
    keyArgs: ['query'],
    variables: () => ({ query: 'zebrafish' }),
    token: () => admin.token,
    expected: () => [...ids.messages].reverse(), // NEWEST
  },
  {
    name: 'searchSessions',
    document: SearchSessionsConnectionDocument as TypedDocumentNode<unknown, Vars>,
    field: 'searchSessions',
    keyArgs: ['query'],
    variables: () => ({ query: 'walrus' }),
    token: () => admin.token,
    expected: () => [...ids.sessions].reverse(), // NEWEST
  },
];

beforeAll(async () => {
  t = await startTestServer({ env: FAST_RETRIES });
  receiver = await startWebhookReceiver();
  admin = await loginAdmin(t);
  agent = await userWithRole(t, admin, UserRole.STAFF);
  otherAgent = await userWithRole(t, admin, UserRole.STAFF);
  customer = await userWithRole(t, admin, UserRole.USER);
  foreign = await foreignTenantAdmin(t);

  // One at a time: each assignment is its session's latest activity, so the inbox order is known.
  for (let i = 0; i < COUNT; i++) ids.inbox.push(await assignedSession(t, admin, customer, agent));
  for (let i = 0; i < COUNT; i++) {
    const { createCannedResponse } = await ok(t.graphqlUrl, CreateCannedResponseDocument, { shortCode: `relay-${i}`, content: `Answer ${i}` }, admin.token);
    ids.canned.push(createCannedResponse.id);
  }
  for (let i = 0; i < COUNT; i++) {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: `Walrus question ${i}` }, customer.token);
    ids.sessions.push(createSession.id);
  }
  const { createWebhook } = await ok(t.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['message.created'] }, admin.token);
  ids.webhook = createWebhook.id;
  ids.session = ids.sessions[0]!;
  for (let i = 0; i < COUNT; i++) {
    const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId: ids.session, content: `zebrafish ${i}` }, customer.token);
    ids.messages.push(sendMessage.message.id);
  }
  const deliveries = await eventually(
    async () => (await ok(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId: ids.webhook, limit: 100 }, admin.token)).webhookDeliveries,
    (list) => list.length === COUNT,
    20_000,
    `${COUNT} webhook deliveries`,
  );
  ids.deliveries = deliveries.map((delivery) => delivery.id);
  expect(deliveries.map((delivery) => delivery.eventId)).toEqual(deliveries.map(() => expect.any(String)));
}, 120_000);

afterAll(async () => {
  await receiver?.close();
  await t?.dispose();
});

describe('Relay connections', () => {
  describe.each(cases)('$name', (c) => {
    it.each([
      ['relayStylePagination()', () => relayPolicies(c.field, c.keyArgs)],
      ["the SDK's typePolicies", () => sdkTypePolicies as TypePolicies],
    ])('pages with Apollo Client 4 and %s: every item once, in order, with pageInfo right at both ends', async (_name, policies) => {
      const { merged, pages } = await pageAll(c.document, c.field, c.variables(), c.token(), policies());
      const got = merged.edges.map((edge) => idOf(edge.node));
      expect(got).toEqual(c.expected());
      expect(new Set(got).size).toBe(got.length);
      expect(pages).toHaveLength(Math.ceil(COUNT / PAGE));
      pages.forEach((page, index) => {
        const last = index === pages.length - 1;
        expect(page.edges.length).toBe(last ? COUNT - PAGE * index : PAGE);
        expect(page.pageInfo).toEqual({
          __typename: 'PageInfo',
          hasNextPage: !last,
          hasPreviousPage: index > 0,
          startCursor: page.edges[0]!.cursor,
          endCursor: page.edges.at(-1)!.cursor,
        });
      });
    });

    it("takes any edge's cursor as `after`: the page starts with the next item", async () => {
      const all = connectionOf((await gql(t.graphqlUrl, c.document, { ...c.variables(), first: 50 }, c.token())).data, c.field);
      expect(all.edges.map((edge) => idOf(edge.node))).toEqual(c.expected());
      expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
      for (const at of [0, 3, COUNT - 2]) {
        const page = connectionOf((await gql(t.graphqlUrl, c.document, { ...c.variables(), first: 2, after: all.edges[at]!.cursor }, c.token())).data, c.field);
        expect(page.edges.map((edge) => idOf(edge.node))).toEqual(c.expected().slice(at + 1, at + 3));
        expect(page.pageInfo.hasNextPage).toBe(at + 3 < COUNT);
      }
      const end = connectionOf((await gql(t.graphqlUrl, c.document, { ...c.variables(), first: 2, after: all.edges.at(-1)!.cursor }, c.token())).data, c.field);
      expect(end).toMatchObject({ edges: [], pageInfo: { hasNextPage: false, startCursor: null, endCursor: null } });
    });

    it('refuses page sizes past its limit and foreign cursors the way messages does', async () => {
      const reasonOf = async (document: TypedDocumentNode<unknown, Vars>, variables: Vars, token = c.token()) => {
        const { errors } = await gql(t.graphqlUrl, document, variables, token);
        return errors?.map((error) => ({ code: error.extensions?.code, reason: error.extensions?.reason }));
      };
      const messages = MessagesConnectionDocument as TypedDocumentNode<unknown, Vars>;
      const tooMany = await reasonOf(messages, { sessionId: ids.session, first: 101 }, admin.token);
      expect(tooMany).toEqual([{ code: 'BAD_USER_INPUT', reason: 'INVALID_ARGUMENT' }]);
      const max = c.field.startsWith('search') ? 51 : 101;
      expect(await reasonOf(c.document, { ...c.variables(), first: max })).toEqual(tooMany);
      expect(await reasonOf(c.document, { ...c.variables(), first: 0 })).toEqual(tooMany);
      const invalidCursor = [{ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' }];
      expect(await reasonOf(c.document, { ...c.variables(), after: 'not a cursor!' })).toEqual(invalidCursor);
      // Another connection's cursor is no cursor here.
      const other = c.field === 'messages' ? Buffer.from('delivery:1').toString('base64url') : Buffer.from('msg:1').toString('base64url');
      expect(await reasonOf(c.document, { ...c.variables(), after: other })).toEqual(invalidCursor);
    });
  });

  it('keeps the old fields answering as before, from the same pages, and marks them deprecated in introspection', async () => {
    const inbox = connectionOf(await ok(t.graphqlUrl, InboxConnectionDocument, { filter: { assignee: 'ME' }, first: PAGE }, agent.token), 'inboxConnection');
    const oldInbox = (await ok(t.graphqlUrl, InboxPageDocument, { filter: { assignee: 'ME' }, first: PAGE }, agent.token)).inbox;
    expect(oldInbox.edges.map((edge) => [edge.cursor, edge.node.session.id])).toEqual(inbox.edges.map((edge) => [edge.cursor, idOf(edge.node)]));
    expect([oldInbox.hasNextPage, oldInbox.endCursor]).toEqual([true, inbox.pageInfo.endCursor]);
    const oldInboxNext = (await ok(t.graphqlUrl, InboxPageDocument, { filter: { assignee: 'ME' }, first: 100, after: oldInbox.endCursor }, agent.token)).inbox;
    expect([...oldInbox.edges, ...oldInboxNext.edges].map((edge) => edge.node.session.id)).toEqual([...ids.inbox].reverse());
    expect(oldInboxNext).toMatchObject({ hasNextPage: false, tabs: { mine: COUNT, unassigned: 0, all: COUNT } });

    const canned = (await ok(t.graphqlUrl, CannedResponsesConnectionDocument, { shortCodePrefix: 'relay-', first: PAGE }, agent.token)).cannedResponsesConnection;
    const oldCanned = (await ok(t.graphqlUrl, CannedResponsesDocument, { shortCodePrefix: 'relay-', first: PAGE }, agent.token)).cannedResponses;
    expect(oldCanned).toEqual({
      items: canned.edges.map((edge) => expect.objectContaining(edge.node)),
      totalCount: COUNT,
      hasMore: true,
      endCursor: canned.pageInfo.endCursor,
    });
    // Cursors from the old field and the connection are one kind: either resumes the other.
    const rest = (await ok(t.graphqlUrl, CannedResponsesConnectionDocument, { shortCodePrefix: 'relay-', first: 100, after: oldCanned.endCursor }, agent.token)).cannedResponsesConnection;
    expect([...oldCanned.items, ...rest.edges.map((edge) => edge.node)].map((item) => item.id)).toEqual(ids.canned);

    const oldDeliveries = (await ok(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId: ids.webhook, limit: PAGE }, admin.token)).webhookDeliveries;
    expect(oldDeliveries.map((delivery) => delivery.id)).toEqual(ids.deliveries.slice(0, PAGE));
    const olderDeliveries = (await ok(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId: ids.webhook, before: oldDeliveries.at(-1)!.id }, admin.token)).webhookDeliveries;
    expect(olderDeliveries.map((delivery) => delivery.id)).toEqual(ids.deliveries.slice(PAGE));
    const limitError = await gql(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId: ids.webhook, limit: 101 }, admin.token);
    expect(limitError.errors?.[0]?.message).toMatch(/^limit must be/);

    const { __type } = await ok(t.graphqlUrl, DeprecatedFieldsDocument, {}, admin.token);
    const deprecation = (name: string) => __type?.fields?.find((field) => field.name === name);
    expect(deprecation('inbox')).toEqual({ name: 'inbox', isDeprecated: true, deprecationReason: 'Use inboxConnection, a Relay connection' });
    expect(deprecation('cannedResponses')).toEqual({ name: 'cannedResponses', isDeprecated: true, deprecationReason: 'Use cannedResponsesConnection, a Relay connection' });
    expect(deprecation('webhookDeliveries')).toEqual({ name: 'webhookDeliveries', isDeprecated: true, deprecationReason: 'Use webhookDeliveriesConnection, a Relay connection' });
    for (const name of ['inboxConnection', 'cannedResponsesConnection', 'webhookDeliveriesConnection', 'messages', 'searchMessages', 'searchSessions']) {
      expect(deprecation(name)).toMatchObject({ isDeprecated: false, deprecationReason: null });
    }
  });

  it('lets each caller see through a connection exactly what the old field shows them (role and tenant)', async () => {
    /** The error (code, reason) or the ids a caller gets. */
    const outcome = async (document: TypedDocumentNode<unknown, Vars>, variables: Vars, token: string, list: (data: never) => { id?: string; session?: { id: string } }[]) => {
      const { data, errors } = await gql(t.graphqlUrl, document, variables, token);
      return errors?.length ? { code: errors[0]!.extensions?.code, reason: errors[0]!.extensions?.reason } : list(data as never).map(idOf);
    };
    const pairs = [
      {
        old: () =>
          outcome(InboxPageDocument as TypedDocumentNode<unknown, Vars>, { first: 100 }, token, (data: { inbox: { edges: { node: { session: { id: string } } }[] } }) =>
            data.inbox.edges.map((edge) => edge.node),
          ),
        now: () =>
          outcome(InboxConnectionDocument as TypedDocumentNode<unknown, Vars>, { first: 100 }, token, (data: { inboxConnection: Connection }) => data.inboxConnection.edges.map((edge) => edge.node)),
      },
      {
        old: () => outcome(CannedResponsesDocument as TypedDocumentNode<unknown, Vars>, { first: 100 }, token, (data: { cannedResponses: { items: { id: string }[] } }) => data.cannedResponses.items),
        now: () =>
          outcome(CannedResponsesConnectionDocument as TypedDocumentNode<unknown, Vars>, { first: 100 }, token, (data: { cannedResponsesConnection: Connection }) =>
            data.cannedResponsesConnection.edges.map((edge) => edge.node),
          ),
      },
      {
        old: () =>
          outcome(
            WebhookDeliveriesDocument as TypedDocumentNode<unknown, Vars>,
            { webhookId: ids.webhook, limit: 100 },
            token,
            (data: { webhookDeliveries: { id: string }[] }) => data.webhookDeliveries,
          ),
        now: () =>
          outcome(WebhookDeliveriesConnectionDocument as TypedDocumentNode<unknown, Vars>, { webhookId: ids.webhook, first: 100 }, token, (data: { webhookDeliveriesConnection: Connection }) =>
            data.webhookDeliveriesConnection.edges.map((edge) => edge.node),
          ),
      },
    ];
    let token = '';
    const seen: Record<string, unknown[]> = {};
    for (const [name, actor] of Object.entries({ admin, agent, otherAgent, customer, foreign })) {
      token = actor.token;
      seen[name] = [];
      for (const pair of pairs) {
        const [old, now] = [await pair.old(), await pair.now()];
        expect([name, now]).toEqual([name, old]);
        seen[name].push(now);
      }
    }
    // What they are: another tenant's admin sees none of this tenant's sessions or canned responses and
    // no endpoint by its id; an agent sees only their own sessions; a customer none of it.
    expect(seen.foreign).toEqual([[], [], { code: 'NOT_FOUND', reason: expect.any(String) }]);
    expect(seen.otherAgent).toEqual([[], ids.canned, { code: 'FORBIDDEN', reason: 'ADMIN_ONLY' }]);
    expect(seen.agent![0]).toEqual([...ids.inbox].reverse());
    expect(seen.customer).toEqual([
      { code: 'FORBIDDEN', reason: expect.any(String) },
      { code: 'FORBIDDEN', reason: expect.any(String) },
      { code: 'FORBIDDEN', reason: 'ADMIN_ONLY' },
    ]);
  });
});
