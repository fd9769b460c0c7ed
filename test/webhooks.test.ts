import { Webhook } from 'standardwebhooks';
import WebSocket from 'ws';
import { BACKFILL_MARKS_ON_NOTES } from '../src/db/migrations/Migration20261207190000_marks_on_notes.js';
import { SESSION_EVENT_TYPES } from '../src/model/event-contract.js';

/** What a conversation with no SLA policy produces: every type but the SLA clocks' (test/sla.test.ts delivers those, to endpoints with includePrivate). */
const CONVERSATION_EVENT_TYPES = SESSION_EVENT_TYPES.filter((type) => !type.startsWith('sla.'));

import { UserRole } from '../src/shared/enums.js';
import {
  ApiKeysDocument,
  AssignAgentDocument,
  CreateApiKeyDocument,
  CreateRoomDocument,
  CreateSessionDocument,
  CreateUserDocument,
  CreateWebhookDocument,
  DeleteMessageDocument,
  DeleteWebhookDocument,
  DisableWebhookDocument,
  EditMessageDocument,
  EnableWebhookDocument,
  MarkReadDocument,
  MarkReadStateDocument,
  MessagesDocument,
  MessagesSinceDocument,
  RedeliverWebhookDocument,
  RevokeApiKeyDocument,
  RotateWebhookSecretDocument,
  SendMessageDocument,
  SendNoteDocument,
  UpdateWebhookDocument,
  WebhookDeliveriesDocument,
  WebhooksDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, assignedSession, loginAdmin, unique, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { upgradeStatus, wsUrl } from './helpers/subscriptions.js';
import { expectOrderedPerSession, FAST_RETRIES, type ReceivedWebhook, startWebhookReceiver, until, verifyAll, type WebhookReceiver } from './helpers/webhook-receiver.js';

describe('webhooks', () => {
  let t: TestServer;
  let admin: Actor;
  let receiver: WebhookReceiver;
  let hooks: string[];

  beforeAll(async () => {
    t = await startTestServer({ env: FAST_RETRIES });
    admin = await loginAdmin(t);
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
  });
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    hooks = [];
  });
  afterEach(async () => {
    for (const id of hooks) await gql(t.graphqlUrl, DeleteWebhookDocument, { id }, admin.token);
    await receiver.close();
  });

  const register = async (events: string[], url = receiver.url) => {
    const { createWebhook } = await ok(t.graphqlUrl, CreateWebhookDocument, { url, events }, admin.token);
    hooks.push(createWebhook.id);
    return createWebhook;
  };

  it('delivers every event type to a subscribed endpoint, signed (standardwebhooks verifies), and only its types to a filtering one', async () => {
    const all = await register([]);
    const filtered = await register(['message.created']);
    expect(all.secret).toMatch(/^whsec_/);
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    const owner = await userWithRole(t, admin, UserRole.USER);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'every event' }, owner.token);
    const sessionId = createSession.id;
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId, agentId: staff.userId }, admin.token);
    const first = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'hello' }, owner.token);
    const second = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'to delete' }, owner.token);
    await ok(t.graphqlUrl, EditMessageDocument, { messageId: first.sendMessage.message.id, content: 'hello, edited' }, owner.token);
    await ok(t.graphqlUrl, DeleteMessageDocument, { messageId: second.sendMessage.message.id }, owner.token);
    await ok(t.graphqlUrl, MessagesDocument, { sessionId, first: 10 }, staff.token); // delivery.updated
    await ok(t.graphqlUrl, MarkReadDocument, { sessionId, messageIds: [first.sendMessage.message.id] }, staff.token);

    const bySecret = (secret: string) => receiver.received.filter((hook) => hook.signature !== '' && verifies(hook, secret));
    await receiver.waitFor(() => CONVERSATION_EVENT_TYPES.every((type) => bySecret(all.secret).some((hook) => hook.json.type === type)), 'every event type');
    await receiver.waitFor(() => bySecret(filtered.secret).length >= 2, 'both message.created');
    const toAll = bySecret(all.secret);
    verifyAll(toAll, all.secret);
    expect(new Set(toAll.map((hook) => hook.json.type))).toEqual(new Set(CONVERSATION_EVENT_TYPES));
    expect(toAll.every((hook) => hook.json.sessionId === sessionId && hook.json.tenantId === t.server.defaultTenantId)).toBe(true);
    expect(toAll.find((hook) => hook.json.type === 'message.created')?.json.data).toMatchObject({ message: { content: 'hello', sessionId } });
    const toFiltered = bySecret(filtered.secret);
    verifyAll(toFiltered, filtered.secret);
    expect(toFiltered.map((hook) => hook.json.type)).toEqual(['message.created', 'message.created']);
    // One event, one webhook-id, whichever endpoint gets it.
    expect(toFiltered.map((hook) => hook.id)).toEqual(toAll.filter((hook) => hook.json.type === 'message.created').map((hook) => hook.id));
    expectOrderedPerSession(toAll);

    // The attempts log: status, latency, the start of the body.
    const { webhookDeliveries } = await ok(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId: filtered.id }, admin.token);
    expect(webhookDeliveries).toHaveLength(2);
    expect(webhookDeliveries[0]).toMatchObject({ status: 'DELIVERED', eventType: 'message.created', attemptCount: 1, lastStatusCode: 204 });
    expect(webhookDeliveries[0]!.attempts).toEqual([expect.objectContaining({ ok: true, statusCode: 204, error: null })]);
  }, 60_000);

  it('sends a note and a read mark over notes only to an endpoint with includePrivate; one without gets public messages and each mark as the customer sees it', async () => {
    const types = ['message.created', 'read.updated'];
    const create = async (includePrivate: boolean) => {
      const { createWebhook } = await ok(t.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: types, includePrivate }, admin.token);
      hooks.push(createWebhook.id);
      return createWebhook;
    };
    const withNotes = await create(true);
    const withoutNotes = await create(false);
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    const owner = await userWithRole(t, admin, UserRole.USER);
    const sessionId = await assignedSession(t, admin, owner, staff);
    const send = async (content: string, token: string, isPrivate = false) => (await ok(t.graphqlUrl, SendNoteDocument, { sessionId, content, private: isPrivate }, token)).sendMessage.message.id;
    const markRead = async (messageId: string) => (await ok(t.graphqlUrl, MarkReadStateDocument, { sessionId, messageIds: [messageId] }, admin.token)).markRead;

    const note1 = await send('internal: first note', staff.token, true);
    const public1 = await send('a public reply', staff.token);
    // The admin's mark lands on the note with no public message at or below it: nothing for the customer's side.
    const read1 = await markRead(note1);
    const note2 = await send('internal: second note', staff.token, true);
    // Past the public reply, onto another note: the customer's side sees the reply read.
    await markRead(note2);
    const public2 = await send('last public line', owner.token);

    const bySecret = (secret: string) => receiver.accepted().filter((hook) => hook.json.sessionId === sessionId && verifies(hook, secret));
    const hasLast = (secret: string) => () => bySecret(secret).some((hook) => (hook.json.data as { message?: { id: string } }).message?.id === public2);
    await receiver.waitFor(hasLast(withNotes.secret), 'the last public message at the endpoint with includePrivate');
    await receiver.waitFor(hasLast(withoutNotes.secret), 'the last public message at the endpoint without includePrivate');
    const summary = (secret: string) =>
      bySecret(secret).map((hook) => {
        const data = hook.json.data as { message?: { id: string }; lastReadMessageId?: string; visibleMessageId?: string | null; participantId?: string };
        return hook.json.type === 'message.created' ? `message ${data.message!.id}` : `read ${data.lastReadMessageId} by ${data.participantId} visible ${JSON.stringify(data.visibleMessageId)}`;
      });
    const admins = read1.participantId;
    expect(summary(withoutNotes.secret)).toEqual([`message ${public1}`, `read ${public1} by ${admins} visible undefined`, `message ${public2}`]);
    expect(
      bySecret(withoutNotes.secret)
        .map((hook) => hook.body)
        .join('\n'),
    ).not.toContain('internal:');
    expect(summary(withNotes.secret)).toEqual([
      `message ${note1}`,
      `message ${public1}`,
      `read ${note1} by ${admins} visible null`,
      `message ${note2}`,
      `read ${note2} by ${admins} visible "${public1}"`,
      `message ${public2}`,
    ]);
  }, 60_000);

  it('pending deliveries of marks on notes stored without what customers see of them are backfilled by the migration', async () => {
    const { createWebhook: hook } = await ok(t.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['message.created', 'read.updated'], includePrivate: false }, admin.token);
    hooks.push(hook.id);
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    const owner = await userWithRole(t, admin, UserRole.USER);
    const sessionId = await assignedSession(t, admin, owner, staff);
    const send = async (content: string, isPrivate = false) => (await ok(t.graphqlUrl, SendNoteDocument, { sessionId, content, private: isPrivate }, staff.token)).sendMessage.message.id;
    const markRead = async (messageId: string) => (await ok(t.graphqlUrl, MarkReadStateDocument, { sessionId, messageIds: [messageId] }, admin.token)).markRead;
    // The endpoint is away, so every delivery of the session is still pending when the migration runs.
    await receiver.goAway();
    const public1 = await send('a public reply');
    const { participantId: admins } = await markRead(await send('internal: first note', true));
    await markRead(await send('internal: second note', true));
    const public2 = await send('last public line');
    // The events and their pending deliveries as they were stored before marks on notes recorded visibleMessageId.
    const connection = t.server.orm.em.getConnection();
    await connection.execute(`update session_events set payload = payload - 'visibleMessageId' where session_id = ?`, [sessionId]);
    await connection.execute(`update webhook_deliveries set payload = payload - 'visibleMessageId' where session_id = ?`, [sessionId]);
    for (const sql of BACKFILL_MARKS_ON_NOTES) await connection.execute(sql);
    await receiver.comeBack();

    const received = () => receiver.accepted().filter((h) => h.json.sessionId === sessionId);
    await receiver.waitFor(() => received().some((h) => (h.json.data as { message?: { id: string } }).message?.id === public2), 'the last public message');
    const summary = received().map((h) => {
      const data = h.json.data as { message?: { id: string }; lastReadMessageId?: string; participantId?: string };
      return h.json.type === 'message.created' ? `message ${data.message!.id}` : `read ${data.lastReadMessageId} by ${data.participantId}`;
    });
    expect(summary).toEqual([`message ${public1}`, `read ${public1} by ${admins}`, `message ${public2}`]);
  }, 60_000);

  it('fails a delivery whose stored copy is not a contract event at once, without sending it, and holds nothing of its session behind it', async () => {
    const hook = await register(['message.created']);
    const owner = await userWithRole(t, admin, UserRole.USER);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'a corrupt copy' }, owner.token);
    // A corrupt row: seq 0 comes before every real event of the session.
    await t.server.orm.em
      .fork()
      .getConnection()
      .execute(
        `insert into webhook_deliveries (tenant_id, endpoint_id, message_id, event_id, session_id, seq, type, payload, event_created_at, next_attempt_at, retry_from, created_at)
         select tenant_id, id, 'msg_corrupt', null, ?, 0, 'message.created', '{"message":{"id":1}}'::jsonb, now(), now(), now(), now() from webhook_endpoints where id = ?`,
        [createSession.id, hook.id],
      );
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'after the corrupt copy' }, owner.token);
    await receiver.waitFor((received) => received.some((r) => r.json.sessionId === createSession.id), 'the real message');
    const failed = async () => (await ok(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId: hook.id, status: 'FAILED' as never }, admin.token)).webhookDeliveries;
    await until(async () => (await failed()).some((delivery) => delivery.messageId === 'msg_corrupt'), 'the corrupt delivery failed', 10_000);
    const [corrupt] = (await failed()).filter((delivery) => delivery.messageId === 'msg_corrupt');
    expect(corrupt!.lastError).toBe('CONTRACT_MISMATCH');
    expect(corrupt!.attempts).toEqual([]);
    expect(receiver.received.filter((r) => r.json.sessionId === createSession.id).map((r) => (r.json.data as { message: { content: string } }).message.content)).toEqual(['after the corrupt copy']);
  });

  it('retries through 503s and an outage, then delivers every event in order per session, each repeat with the same webhook-id', async () => {
    const hook = await register([]);
    const owner = await userWithRole(t, admin, UserRole.USER);
    receiver.respond = () => 503;
    const sessions: string[] = [];
    for (let s = 0; s < 2; s++) sessions.push((await ok(t.graphqlUrl, CreateSessionDocument, { subject: `outage ${s}` }, owner.token)).createSession.id);
    for (let i = 0; i < 3; i++) for (const sessionId of sessions) await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: `before ${i}` }, owner.token);
    await receiver.waitFor((received) => received.filter((r) => r.status === 503).length >= 4, 'a few 503s');
    await receiver.goAway();
    for (let i = 0; i < 3; i++) for (const sessionId of sessions) await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: `during ${i}` }, owner.token);
    // Attempts fail at the connection while it is away (logged as such).
    const refusedAttempt = async () => {
      const { webhookDeliveries } = await ok(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId: hook.id, status: 'PENDING' }, admin.token);
      return webhookDeliveries.some((delivery) => delivery.attempts.some((attempt) => attempt.error?.startsWith('CONNECTION_FAILED')));
    };
    await until(refusedAttempt, 'an attempt refused at the connection');
    receiver.respond = () => 200;
    await receiver.comeBack();

    // 1 session.created + 6 messages per session.
    await receiver.waitFor((received) => sessions.every((id) => new Set(received.filter((r) => r.status === 200 && r.json.sessionId === id).map((r) => r.json.seq)).size === 7), 'every event');
    verifyAll(receiver.accepted(), hook.secret);
    expectOrderedPerSession(receiver.received);
    for (const sessionId of sessions) {
      const accepted = receiver.accepted().filter((r) => r.json.sessionId === sessionId);
      expect(accepted.map((r) => Number(r.json.seq))).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(accepted.filter((r) => r.json.type === 'message.created').map((r) => (r.json.data.message as { content: string }).content)).toEqual([
        'before 0',
        'before 1',
        'before 2',
        'during 0',
        'during 1',
        'during 2',
      ]);
    }
    // Every repeat of an event carried its webhook-id and the same body.
    const rejected = receiver.received.filter((r) => r.status === 503);
    for (const failed of rejected) {
      const later = receiver.accepted().filter((r) => r.json.eventId === failed.json.eventId);
      expect(later.map((r) => [r.id, r.body])).toEqual([[failed.id, failed.body]]);
    }
    const { webhookDeliveries } = await ok(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId: hook.id, limit: 100 }, admin.token);
    expect(webhookDeliveries.every((delivery) => delivery.status === 'DELIVERED')).toBe(true);
    expect(webhookDeliveries.some((delivery) => delivery.attempts.some((attempt) => attempt.statusCode === 503 && attempt.responseBody === 'unavailable'))).toBe(true);
  }, 90_000);

  it('rotates the secret: during the grace period deliveries verify with the old and the new secret', async () => {
    const hook = await register(['message.created']);
    const { rotateWebhookSecret } = await ok(t.graphqlUrl, RotateWebhookSecretDocument, { id: hook.id }, admin.token);
    expect(rotateWebhookSecret.secret).not.toEqual(hook.secret);
    expect(rotateWebhookSecret.webhook.previousSecretExpiresAt).not.toBeNull();
    const owner = await userWithRole(t, admin, UserRole.USER);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'rotation' }, owner.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'signed twice' }, owner.token);
    await receiver.waitFor((received) => received.length === 1, 'the message');
    expect(receiver.received[0]!.signature.split(' ')).toHaveLength(2);
    verifyAll(receiver.received, hook.secret);
    verifyAll(receiver.received, rotateWebhookSecret.secret);
  }, 30_000);

  it('redelivers by hand with the same webhook-id; a disabled endpoint gets nothing until enabled again', async () => {
    const hook = await register(['message.created']);
    const owner = await userWithRole(t, admin, UserRole.USER);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'redelivery' }, owner.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'once' }, owner.token);
    await receiver.waitFor((received) => received.length === 1, 'the first delivery');
    const [delivery] = (await ok(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId: hook.id }, admin.token)).webhookDeliveries;
    await ok(t.graphqlUrl, RedeliverWebhookDocument, { deliveryId: delivery!.id }, admin.token);
    await receiver.waitFor((received) => received.length === 2, 'the redelivery');
    expect(receiver.received[1]!.id).toEqual(receiver.received[0]!.id);

    const { disableWebhook } = await ok(t.graphqlUrl, DisableWebhookDocument, { id: hook.id }, admin.token);
    expect(disableWebhook).toMatchObject({ enabled: false, disabledReason: 'MANUAL' });
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'while disabled' }, owner.token);
    await ok(t.graphqlUrl, EnableWebhookDocument, { id: hook.id }, admin.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'enabled again' }, owner.token);
    await receiver.waitFor((received) => received.length === 3, 'the message after enabling');
    expect((receiver.received[2]!.json.data.message as { content: string }).content).toBe('enabled again');

    const { updateWebhook } = await ok(t.graphqlUrl, UpdateWebhookDocument, { id: hook.id, events: ['session.created', 'message.deleted'] }, admin.token);
    expect(updateWebhook.events).toEqual(['session.created', 'message.deleted']);
    const { webhooks } = await ok(t.graphqlUrl, WebhooksDocument, {}, admin.token);
    expect(webhooks.map((w) => w.id)).toContain(hook.id);
  }, 30_000);

  it('refuses what is not a webhook: bad URLs and unknown event types', async () => {
    for (const url of ['ftp://example.com/x', 'not a url', 'http://user:pw@example.com/']) {
      const result = await gql(t.graphqlUrl, CreateWebhookDocument, { url, events: [] }, admin.token);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_URL' });
    }
    const result = await gql(t.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['message.exploded'] }, admin.token);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_EVENT_TYPE' });
  });

  it('lets a bot holding an API key answer a customer message it received by webhook; a revoked key gets 401 and is refused on both WebSockets', async () => {
    const botName = unique('bot');
    const { createUser: bot } = await ok(t.graphqlUrl, CreateUserDocument, { username: botName, role: 'BOT' }, admin.token);
    const { createApiKey } = await ok(t.graphqlUrl, CreateApiKeyDocument, { name: 'echo bot', userId: bot.id }, admin.token);
    expect(createApiKey.key).toMatch(/^prk_/);
    expect(createApiKey.apiKey).toMatchObject({ name: 'echo bot', userId: bot.id, role: 'BOT', revokedAt: null });
    const key = createApiKey.key;

    // The bot: a webhook receiver that answers customers' messages through the API with its key.
    const hook = await register(['message.created']);
    const verifier = new Webhook(hook.secret);
    receiver.respond = async (request) => {
      const event = verifier.verify(request.body, { 'webhook-id': request.id, 'webhook-timestamp': request.timestamp, 'webhook-signature': request.signature }) as ReceivedWebhook['json'];
      const message = event.data.message as { senderUserId: string | null; content: string };
      // A bot answers others, never itself (its replies come back as message.created too).
      if (event.type === 'message.created' && message.senderUserId !== bot.id) {
        await ok(t.graphqlUrl, SendMessageDocument, { sessionId: event.sessionId!, content: `You said: ${message.content}` }, key);
      }
      return 204;
    };
    const customer = await userWithRole(t, admin, UserRole.USER);
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'help with bot', memberIds: [customer.userId, bot.id] }, admin.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createRoom.id, content: 'where is my order?' }, customer.token);
    let replies: { content: string; senderType: string }[] = [];
    while (replies.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      replies = (await ok(t.graphqlUrl, MessagesSinceDocument, { sessionId: createRoom.id, afterId: '0' }, customer.token)).messagesSince.filter((m) => m.senderUserId === bot.id);
    }
    expect(replies).toEqual([expect.objectContaining({ content: 'You said: where is my order?', senderName: botName })]);

    // The key works on every transport until revoked.
    expect(await upgradeStatus(t.url, `/ws/chat/${createRoom.id}`, { token: key })).toBe(101);
    expect(await graphqlWsClose(t.url, key)).toBeNull();
    const { revokeApiKey } = await ok(t.graphqlUrl, RevokeApiKeyDocument, { id: createApiKey.apiKey.id }, admin.token);
    expect(revokeApiKey.revokedAt).not.toBeNull();
    const refused = await gql(t.graphqlUrl, SendMessageDocument, { sessionId: createRoom.id, content: 'after revocation' }, key);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'API_KEY_REVOKED' });
    expect(await graphqlWsClose(t.url, key)).toEqual({ code: 4403, reason: 'API_KEY_REVOKED' });
    expect(await upgradeStatus(t.url, `/ws/chat/${createRoom.id}`, { token: key })).toBe(401);
    const { apiKeys } = await ok(t.graphqlUrl, ApiKeysDocument, {}, admin.token);
    expect(apiKeys.find((k) => k.id === createApiKey.apiKey.id)?.revokedAt).not.toBeNull();
  }, 60_000);
});

function verifies(hook: ReceivedWebhook, secret: string): boolean {
  try {
    new Webhook(secret).verify(hook.body, { 'webhook-id': hook.id, 'webhook-timestamp': hook.timestamp, 'webhook-signature': hook.signature });
    return true;
  } catch {
    return false;
  }
}

/** Opens graphql-ws with `key` and says how the server closed it (null: it acknowledged). */
function graphqlWsClose(url: string, key: string): Promise<{ code: number; reason: string } | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(url), 'graphql-transport-ws');
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } })));
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') {
        ws.close();
        resolve(null);
      }
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', () => undefined);
  });
}
