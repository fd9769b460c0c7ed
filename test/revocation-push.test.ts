/**
 * A revocation or a loss of access is pushed to the open streams of that caller (issue 23, items
 * 3 and 4): they end before anything committed after the revoke is delivered, well within the
 * periodic access check (4 s), on one node here (both modes: PGlite in process, PostgreSQL with
 * Redis). Every test sends after the revoke and checks that nothing of it arrived, against a
 * control subscriber that does receive it.
 */

import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { UserRole } from '../src/shared/enums.js';
import {
  ChangeOwnPasswordDocument,
  CreateApiKeyDocument,
  CreateRoomDocument,
  CreateSessionDocument,
  LoginWithRefreshDocument,
  MeDocument,
  RefreshSignInDocument,
  RemoveRoomMemberDocument,
  RevokeApiKeyDocument,
  SendMessageDocument,
  SessionEventsDocument,
  type SessionEventsSubscription,
  SetTypingDocument,
  SignOutEverywhereDocument,
  TransferSessionDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, assignedSession, loginAdmin, PASSWORD, unique, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { type Collected, type SubscriptionError, subscribe, untilLive, within, wsClient, wsUrl } from './helpers/subscriptions.js';

/** Far below the periodic access check (4 s): only a pushed revocation ends a stream this soon. */
const PUSHED_WITHIN_MS = 1_000;

let t: TestServer;
let admin: Actor;
const clients: Client[] = [];
const sockets: WebSocket[] = [];

beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t);
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await Promise.all(clients.map((client) => client.dispose()));
  await t.dispose();
});

type Events = Collected<SessionEventsSubscription>;

const messagesIn = (items: SessionEventsSubscription[]) => items.flatMap((item) => (item.sessionEvents.__typename === 'MessageEvent' ? [item.sessionEvents.message.content] : []));

/** A live `sessionEvents` subscription of `token` on the session (the typing echo proves it live). */
async function watch(sessionId: string, token: string, pinger: string = token): Promise<Events> {
  const client = wsClient(t.url, token);
  clients.push(client);
  const events = subscribe(client, SessionEventsDocument, { sessionId });
  await untilLive(
    events,
    () => ok(t.graphqlUrl, SetTypingDocument, { sessionId, isTyping: false }, pinger),
    (item) => item.sessionEvents.__typename === 'TypingEvent',
  );
  return events;
}

/** Resolves with the errors the stream ended with; fails the test when it is still open after `ms`. */
const endsWithin = (events: Events, ms: number, what: string): Promise<SubscriptionError[] | null> =>
  within(events.ended(), ms, () => `${what}: the stream was still open ${ms} ms after the revoke, having received ${JSON.stringify(messagesIn(events.items))}`);

/** Waits (with a deadline) until the control subscriber has the message: every stream of the node had it by then. */
const delivered = (control: Events, content: string): Promise<unknown> =>
  within(
    control.until((items) => messagesIn(items).includes(content), `"${content}"`),
    5_000,
    () => `the control subscriber never received "${content}"`,
  );

interface Legacy {
  frames: { type: string; data: { content?: string } }[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens the legacy socket /ws/chat/{id} with `?token=`; resolves once it is open. */
function legacy(sessionId: string, token: string): Promise<Legacy> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(t.url, `/ws/chat/${sessionId}?token=${encodeURIComponent(token)}`));
    sockets.push(socket);
    const frames: Legacy['frames'] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Legacy['frames'][number]));
    const closed = new Promise<{ code: number; reason: string }>((done) => socket.once('close', (code, reason) => done({ code, reason: String(reason) })));
    socket.once('open', () => resolve({ frames, closed }));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`legacy socket refused: ${response.statusCode}`)));
    socket.on('error', () => undefined);
  });
}

/**
 * The stream of revoked credentials ended FORBIDDEN with `reason`, and their legacy socket closed
 * 1008, both within PUSHED_WITHIN_MS of the revoke; neither received `content` (sent after the
 * revoke), which the control subscriber did receive.
 */
async function expectCutOff(revoked: { stream: Events; socket: Legacy }, control: Events, content: string, reason: string): Promise<void> {
  const errors = await endsWithin(revoked.stream, PUSHED_WITHIN_MS, 'revoked subscription');
  expect(errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason });
  const closed = await within(revoked.socket.closed, PUSHED_WITHIN_MS, () => `the legacy socket was still open ${PUSHED_WITHIN_MS} ms after the revoke`);
  expect(closed).toEqual({ code: 1008, reason: 'FORBIDDEN' });
  await delivered(control, content);
  expect(messagesIn(revoked.stream.items)).toEqual([]);
  expect(revoked.socket.frames.filter((frame) => frame.type === 'message')).toEqual([]);
}

/** How a graphql-ws connection with `token` is answered: 'ack', or the close code and reason. */
function connectionAnswer(token: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl(t.url), 'graphql-transport-ws');
    sockets.push(socket);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') {
        resolve('ack');
        socket.close(1000);
      }
    });
    socket.once('close', (code, reason) => resolve(`${code} ${String(reason)}`));
    socket.on('error', () => undefined);
  });
}

/** The refusal reason of `{ me { id } }` with the token, or null when it is answered. */
async function meRefusal(token: string): Promise<string | null> {
  const result = await gql(t.graphqlUrl, MeDocument, {}, token);
  return result.data?.me ? null : (result.errors?.[0]?.extensions?.reason ?? JSON.stringify(result.errors));
}

const send = (sessionId: string, content: string, token = admin.token) => ok(t.graphqlUrl, SendMessageDocument, { sessionId, content }, token);

describe('revocations end open streams at once (one node)', () => {
  it('reusing a spent refresh token revokes that sign-in at once: both its access tokens, its streams and new connections; another sign-in lives on', async () => {
    const username = unique('reuser');
    const user = await userWithRole(t, admin, UserRole.USER, username);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'reuse' }, user.token);
    const sessionId = createSession.id;
    const signIn = async () => (await ok(t.graphqlUrl, LoginWithRefreshDocument, { username, password: PASSWORD })).login;
    const stolen = await signIn();
    const other = await signIn();
    const renewed = (await ok(t.graphqlUrl, RefreshSignInDocument, { refreshToken: stolen.refreshToken })).refreshToken;

    const first = await watch(sessionId, stolen.token);
    const rotated = await watch(sessionId, renewed.token);
    const survivor = await watch(sessionId, other.token);
    const socket = await legacy(sessionId, renewed.token);

    const reuse = await gql(t.graphqlUrl, RefreshSignInDocument, { refreshToken: stolen.refreshToken });
    expect(reuse.errors?.[0]?.extensions?.reason).toBe('REFRESH_TOKEN_REUSED');
    await send(sessionId, 'after the reuse', other.token);

    expect(await meRefusal(stolen.token)).toBe('TOKEN_REVOKED');
    expect(await meRefusal(renewed.token)).toBe('TOKEN_REVOKED');
    expect(await meRefusal(other.token)).toBeNull();
    expect((await endsWithin(first, PUSHED_WITHIN_MS, 'first access token'))?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'TOKEN_REVOKED' });
    await expectCutOff({ stream: rotated, socket }, survivor, 'after the reuse', 'TOKEN_REVOKED');
    expect(messagesIn(first.items)).toEqual([]);
    expect(await connectionAnswer(renewed.token)).toBe('4403 TOKEN_REVOKED');
    expect(await connectionAnswer(other.token)).toBe('ack');
    expect(survivor.errors).toBeNull();
  });

  it('revoking an API key ends its subscription and its legacy socket before anything sent after the revoke', async () => {
    const bot = await userWithRole(t, admin, UserRole.STAFF);
    const customer = await userWithRole(t, admin, UserRole.USER);
    const sessionId = await assignedSession(t, admin, customer, bot);
    const { createApiKey } = await ok(t.graphqlUrl, CreateApiKeyDocument, { name: 'integration', userId: bot.userId }, admin.token);
    const keyed = await watch(sessionId, createApiKey.key, admin.token);
    const socket = await legacy(sessionId, createApiKey.key);
    const control = await watch(sessionId, admin.token);

    await ok(t.graphqlUrl, RevokeApiKeyDocument, { id: createApiKey.apiKey.id }, admin.token);
    await send(sessionId, 'after the key revoke');

    expect(await meRefusal(createApiKey.key)).toBe('API_KEY_REVOKED');
    await expectCutOff({ stream: keyed, socket }, control, 'after the key revoke', 'API_KEY_REVOKED');
    // The same user's own sign-in is not the key: it lives on.
    expect(await meRefusal(bot.token)).toBeNull();
  });

  it.each([
    ['logout', (actor: Actor): Promise<unknown> => ok(t.graphqlUrl, SignOutEverywhereDocument, {}, actor.token)],
    ['a password change', (actor: Actor): Promise<unknown> => ok(t.graphqlUrl, ChangeOwnPasswordDocument, { currentPassword: PASSWORD, newPassword: `${PASSWORD}-changed` }, actor.token)],
  ])('%s ends the user’s open streams before anything sent after it', async (_name, revoke) => {
    const user = await userWithRole(t, admin, UserRole.USER);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'signing out' }, user.token);
    const own = await watch(createSession.id, user.token);
    const socket = await legacy(createSession.id, user.token);
    const control = await watch(createSession.id, admin.token);

    await revoke(user);
    await send(createSession.id, 'after the revocation');

    await expectCutOff({ stream: own, socket }, control, 'after the revocation', 'TOKEN_REVOKED');
  });
});

describe('a loss of access ends open streams at once (one node)', () => {
  it('a transfer ends the previous agent’s stream before anything sent after it', async () => {
    const from = await userWithRole(t, admin, UserRole.STAFF);
    const to = await userWithRole(t, admin, UserRole.STAFF);
    const customer = await userWithRole(t, admin, UserRole.USER);
    const sessionId = await assignedSession(t, admin, customer, from);
    const previous = await watch(sessionId, from.token);
    const control = await watch(sessionId, admin.token);

    await ok(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: to.userId }, admin.token);
    await send(sessionId, 'after the transfer', customer.token);

    const errors = await endsWithin(previous, PUSHED_WITHIN_MS, 'previous agent');
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_ASSIGNED' });
    await delivered(control, 'after the transfer');
    expect(messagesIn(previous.items)).toEqual([]);
  });

  it('removing a room member ends their stream before anything sent after it', async () => {
    const member = await userWithRole(t, admin, UserRole.STAFF);
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: unique('room'), memberIds: [member.userId] }, admin.token);
    const removed = await watch(createRoom.id, member.token);
    const control = await watch(createRoom.id, admin.token);

    await ok(t.graphqlUrl, RemoveRoomMemberDocument, { roomId: createRoom.id, userId: member.userId }, admin.token);
    await send(createRoom.id, 'after the removal');

    const errors = await endsWithin(removed, PUSHED_WITHIN_MS, 'removed member');
    expect(errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await delivered(control, 'after the removal');
    expect(messagesIn(removed.items)).toEqual([]);
  });
});
