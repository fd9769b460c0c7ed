import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { busMessageOf, sessionTopic } from '../src/events/event-bus.js';
import { type EventBody, type MessageDto, SESSION_EVENT_TYPES, type SessionDto, type SessionEventType } from '../src/model/event-contract.js';
import { eventBodyOf } from '../src/model/event-validation.js';
import { WEBHOOK_EVENT_TYPES } from '../src/model/webhook-contract.js';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, MessageAddedDocument, SendMessageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { skipReason } from './helpers/cluster.js';
import { loginAdmin, userWithRole } from './helpers/fixtures.js';
import { redisPrefixFor, startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, untilLive, wsClient } from './helpers/subscriptions.js';

const session: SessionDto = {
  id: '1',
  uuid: '00000000-0000-4000-8000-000000000001',
  kind: 'SUPPORT' as SessionDto['kind'],
  status: 'ACTIVE' as SessionDto['status'],
  priority: 'MEDIUM' as SessionDto['priority'],
  subject: null,
  tags: [],
  customerId: '2',
  agentId: null,
  guestName: null,
  startedAt: '2026-12-07T00:00:00.000Z',
  endedAt: null,
};
const message: MessageDto = {
  id: '3',
  uuid: '00000000-0000-4000-8000-000000000003',
  sessionId: '1',
  senderType: 'USER' as MessageDto['senderType'],
  senderId: '4',
  senderUserId: '2',
  senderName: 'Ann',
  senderUsername: 'ann',
  content: 'hello',
  metadata: {},
  clientMessageId: null,
  createdAt: '2026-12-07T00:00:01.000Z',
  editedAt: null,
  deletedAt: null,
  version: 1,
};

/** One body of every event type: a type added to the contract without a sample here fails the first test. */
const SAMPLES: { [K in SessionEventType]: Extract<EventBody, { type: K }> } = {
  'session.created': { type: 'session.created', payload: { session, memberIds: ['2'] } },
  'session.updated': { type: 'session.updated', payload: { session, changes: ['agent'], previousAgentId: null, actorId: '5' } },
  'message.created': { type: 'message.created', payload: { message } },
  'message.updated': { type: 'message.updated', payload: { message } },
  'message.deleted': { type: 'message.deleted', payload: { message } },
  'read.updated': { type: 'read.updated', payload: { participantId: '4', userId: '2', lastReadMessageId: '3' } },
  'delivery.updated': { type: 'delivery.updated', payload: { participantId: '4', userId: null, lastDeliveredMessageId: '3', visibleMessageId: null } },
  'sla.warning': {
    type: 'sla.warning',
    payload: { session, metric: 'FIRST_RESPONSE', dueAt: '2026-12-07T00:10:00.000Z', at: '2026-12-07T00:08:00.000Z', policyId: '7', cycle: '0' },
  },
  'sla.breached': {
    type: 'sla.breached',
    payload: { session, metric: 'NEXT_RESPONSE', dueAt: '2026-12-07T00:10:00.000Z', at: '2026-12-07T00:10:00.000Z', policyId: '7', cycle: '2026-12-07T00:00:01.000Z' },
  },
};

/** The GraphQL name of a contract type: message.created → MESSAGE_CREATED. */
const graphqlName = (type: string) => type.replace('.', '_').toUpperCase();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the event contract, one declaration end to end', () => {
  it.each([...SESSION_EVENT_TYPES])('%s is in the GraphQL schema, the SDK, the webhook types and the validator', (type) => {
    const schema = readFileSync('schema.graphql', 'utf8');
    const enumBody = /enum SessionEventType \{([^}]*)\}/.exec(schema)?.[1] ?? '';
    expect(enumBody).toContain(graphqlName(type));
    const sdk = readFileSync('client/src/generated/graphql.ts', 'utf8');
    expect(/export type SessionEventType =([^;]*);/.exec(sdk)?.[1] ?? '').toContain(`'${graphqlName(type)}'`);
    expect(WEBHOOK_EVENT_TYPES).toContain(type);
    const sample = SAMPLES[type];
    expect(sample).toBeDefined();
    // Round trip through JSON, as it is stored and as it travels: the same body comes back.
    const stored = JSON.parse(JSON.stringify(sample)) as { type: unknown; payload: unknown };
    expect(eventBodyOf(stored.type, stored.payload)).toEqual(sample);
  });

  it('refuses what is not a contract event: an unknown type, a payload of another type, missing or mistyped fields', () => {
    expect(eventBodyOf('message.exploded', { message })).toBeNull();
    expect(eventBodyOf('message.created', { session })).toBeNull();
    expect(eventBodyOf('message.created', { message: { ...message, content: 42 } })).toBeNull();
    expect(eventBodyOf('read.updated', { participantId: '4', userId: '2' })).toBeNull();
    expect(eventBodyOf('session.updated', { session, changes: 'agent' })).toBeNull();
    expect(eventBodyOf('session.created', null)).toBeNull();
    expect(eventBodyOf('session.created', [session])).toBeNull();
  });

  it('no code casts an event payload into the contract: every untyped copy goes through the validator', () => {
    const cast = /\bas (unknown as )?(EventBody|PublishedEvent|BusMessage|EventPayloads|SessionEventBody|WebhookBody|TenantEventPayloads|Pick<PublishedEvent)\b|\.payload as\b/;
    const offenders = sourceFiles('src').flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (cast.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it('takes off the bus only messages of the contract', () => {
    const event = { ...SAMPLES['message.created'], id: '9', seq: '1', inboxSeq: null, tenantId: '1', sessionId: '1', createdAt: message.createdAt };
    expect(busMessageOf(JSON.stringify({ kind: 'event', event }))).toEqual({ kind: 'event', event });
    for (const raw of [
      'not json',
      'null',
      '[]',
      JSON.stringify({ kind: 'resync' }),
      JSON.stringify({ kind: 'event', event: { ...event, payload: { message: { id: 9 } } } }),
      JSON.stringify({ kind: 'event', event: { ...event, seq: 1 } }),
      JSON.stringify({ kind: 'typing', typing: { tenantId: '1' } }),
      JSON.stringify({ kind: 'revoked', revocation: { tenantId: '1' } }),
      JSON.stringify({ kind: 'something-new' }),
    ]) {
      expect([raw, busMessageOf(raw)]).toEqual([raw, null]);
    }
    expect(busMessageOf(JSON.stringify({ kind: 'revoked', revocation: { tenantId: '1', apiKeyId: '7' } }))).toEqual({ kind: 'revoked', revocation: { tenantId: '1', apiKeyId: '7' } });
  });

  describe('over Redis', () => {
    const available = Boolean(process.env.REDIS_URL);
    skipReason(available, 'the bus validation over Redis needs REDIS_URL');
    const maybe = available ? it : it.skip;
    let t: TestServer;
    beforeAll(async () => {
      if (available) t = await startTestServer();
    });
    afterAll(() => t?.dispose());

    maybe('a malformed message on a session channel is dropped; the stream lives on and gets the next event', async () => {
      const admin = await loginAdmin(t);
      const customer = await userWithRole(t, admin, UserRole.USER);
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, customer.token);
      const client = wsClient(t.url, customer.token);
      const redis = new Redis(process.env.REDIS_URL!);
      try {
        const events = subscribe(client, MessageAddedDocument, { sessionId: createSession.id });
        await untilLive(
          events,
          () => ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'warm-up' }, customer.token),
          (item) => item.messageAdded.content === 'warm-up',
        );
        const channel = `${redisPrefixFor(t.database)}${sessionTopic(String(t.server.defaultTenantId), createSession.id)}`;
        for (const garbage of ['{"kind":"event","event":{"type":"message.created","payload":{"message":{"id":1}}}}', 'not json', '{"kind":"typing"}']) {
          await redis.publish(channel, garbage);
        }
        await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'after the garbage' }, customer.token);
        await events.until((items) => items.some((item) => item.messageAdded.content === 'after the garbage'), 'the message after the garbage', 10_000);
        expect(events.errors).toBeNull();
      } finally {
        redis.disconnect();
        await client.dispose();
      }
    });
  });
});
