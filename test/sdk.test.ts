import WebSocket from 'ws';
import { createParleyClient, type InboxEvent, type Message, type ParleyClient, type SessionEvent } from '../client/src/index.js';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, LoginDocument, SendMessageDocument, SignOutEverywhereDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { type Actor, assignedSession, loginAdmin, PASSWORD, unique, userWithRole } from './helpers/fixtures.js';
import { seededRandom, testSeed } from './helpers/random.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from './helpers/server.js';
import { TcpProxy } from './helpers/tcp-proxy.js';

/**
 * The SDK (client/) against a real server: watchers resume with no gap and no repeat
 * through connection cuts and a revoked sign-in, and a first load races no message.
 */
type Persisted = Exclude<SessionEvent, { __typename: 'TypingEvent' }>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let t: TestServer;
let admin: Actor;
const clients: ParleyClient[] = [];

beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t.dispose();
});

const connections = new WeakMap<ParleyClient, { count: number }>();

function sdk(url: string, username: string, password = PASSWORD): ParleyClient {
  const connected = { count: 0 };
  const client = createParleyClient({
    url,
    credentials: { username, password },
    webSocketImpl: WebSocket,
    on: {
      connected: () => {
        connected.count++;
      },
    },
  });
  connections.set(client, connected);
  clients.push(client);
  return client;
}

/** The server's record: the session's outbox ids after `since`, in sequence order. */
async function outboxIds(sessionId: string, since: string): Promise<string[]> {
  const rows = await t.server.orm.em.fork().getConnection().execute<{ id: string }[]>('select id::text as id from session_events where session_id = ? and id > ? order by seq', [sessionId, since]);
  return rows.map((row) => row.id);
}

/** What one watchSession saw: the history it started from and every event after it. */
class Watcher {
  history: Message[] = [];
  start: string | null = null;
  histories = 0;
  readonly events: Persisted[] = [];
  readonly errors: Error[] = [];
  readonly stop: () => void;

  constructor(client: ParleyClient, sessionId: string) {
    this.stop = client.watchSession(sessionId, {
      onHistory: (messages, lastEventId) => {
        this.histories++;
        this.history = messages;
        this.start ??= lastEventId;
      },
      onEvent: (event) => {
        if (event.__typename !== 'TypingEvent') this.events.push(event);
      },
      onError: (error) => this.errors.push(error),
    });
  }

  get ids(): string[] {
    return this.events.map((event) => event.id);
  }

  get messageIds(): string[] {
    return this.events.flatMap((event) => (event.__typename === 'MessageEvent' && event.type === 'MESSAGE_CREATED' ? [event.message.id] : []));
  }

  async until(done: () => boolean, limitMs: number, what: string): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!done()) {
      if (this.errors.length) throw this.errors[0];
      if (Date.now() > deadline) throw new Error(`${what} not reached within ${limitMs} ms (have ${this.events.length} events, last ${this.ids.at(-1)})`);
      await sleep(50);
    }
  }
}

describe('SDK watchSession', () => {
  it('delivers every event exactly once, in order, through 20 connection cuts and a revoked sign-in while two senders keep sending', async () => {
    const seed = testSeed();
    const random = seededRandom(seed);
    const customer = await userWithRole(t, admin, UserRole.USER, unique('sdkcustomer'));
    const agentName = unique('sdkagent');
    const agent = await userWithRole(t, admin, UserRole.STAFF, agentName);
    const sessionId = await assignedSession(t, admin, customer, agent);

    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(t.url).port));
    try {
      const viaProxy = `http://127.0.0.1:${proxy.port}/graphql`;
      const watching = [sdk(viaProxy, agentName), sdk(viaProxy, 'admin', ADMIN_PASSWORD)];
      const watchers = watching.map((client) => new Watcher(client, sessionId));
      await Promise.all(watchers.map((watcher) => watcher.until(() => watcher.start !== null, 10_000, 'history')));
      const agentToken = await watching[0].token();

      const senders = [sdk(viaProxy, agentName), sdk(viaProxy, 'admin', ADMIN_PASSWORD)];
      const sent: string[][] = [[], []];
      let cutting = true;
      // Both senders keep sending until the last cut is over.
      const sendAll = senders.map(async (sender, index) => {
        for (let n = 0; cutting || n < 20; n++) {
          const { message } = await sender.send(sessionId, `sender ${index} message ${n}`, { retries: 30 });
          sent[index].push(message.id);
          await sleep(30 + random() * 120);
        }
      });
      const connectedNow = () => watching.map((client) => connections.get(client)!.count);
      const cuts = (async () => {
        let live = watching.map(() => 0); // each watcher's connection count when its socket was last cut
        try {
          for (let cut = 0; cut < 20; cut++) {
            // Each cut falls at a random moment of a live connection: wait until both watchers are back.
            const deadline = Date.now() + 10_000;
            while (connectedNow().some((count, i) => count <= live[i]!)) {
              if (Date.now() > deadline) throw new Error(`a watcher did not reconnect within 10 s after cut ${cut} (seed ${seed})`);
              await sleep(20);
            }
            await sleep(50 + random() * 400);
            live = connectedNow();
            proxy.cut();
            await sleep(random() * 250);
            proxy.restore();
            // Halfway, the agent signs out everywhere: the agent's access and refresh tokens stop working.
            if (cut === 10) {
              const { login } = await ok(t.graphqlUrl, LoginDocument, { username: agentName, password: PASSWORD });
              await ok(t.graphqlUrl, SignOutEverywhereDocument, {}, login.token);
            }
          }
        } finally {
          cutting = false;
        }
      })();
      await Promise.all([...sendAll, cuts]);

      for (const ids of sent) expect(new Set(ids).size).toBe(ids.length);
      const allSent = [...sent[0], ...sent[1]];
      for (const watcher of watchers) {
        const start = watcher.start!;
        const expected = await outboxIds(sessionId, start);
        await watcher.until(() => watcher.events.length >= expected.length, 20_000, `event ${expected.at(-1)} (seed ${seed})`);
        // Let anything still in flight arrive, then compare with the outbox at that moment.
        await sleep(300);
        expect(watcher.errors).toEqual([]);
        expect(watcher.histories).toBe(1);
        const final = await outboxIds(sessionId, start);
        expect(watcher.ids).toEqual(final);
        expect([...watcher.messageIds].sort()).toEqual([...allSent].sort());
      }
      // The cuts really broke the watchers' connections, and the agent's client really signed in again.
      for (const client of watching) expect(connections.get(client)!.count).toBeGreaterThanOrEqual(20);
      expect(await watching[0].token()).not.toBe(agentToken);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('a token expiring during the watch changes nothing: the SDK gets a new one from getToken and resumes', async () => {
    const customerName = unique('expirycustomer');
    const customer = await userWithRole(t, admin, UserRole.USER, customerName);
    const agent = await userWithRole(t, admin, UserRole.STAFF, unique('expiryagent'));
    const sessionId = await assignedSession(t, admin, customer, agent);
    // Access tokens that live 3 s, as an app that manages its own tokens would hand them out.
    let current: string | null = null;
    let forced = 0;
    const client = createParleyClient({
      url: t.graphqlUrl,
      webSocketImpl: WebSocket,
      getToken: async ({ forceRefresh }) => {
        if (forceRefresh) forced++;
        if (forceRefresh || current === null) current = await t.server.deps.tokens.issueAccessToken(agent.userId, t.server.defaultTenantId, 0, 3);
        return current;
      },
    });
    clients.push(client);
    const watcher = new Watcher(client, sessionId);
    await watcher.until(() => watcher.start !== null, 10_000, 'history');
    const sender = sdk(t.graphqlUrl, customerName);
    const sent: string[] = [];
    for (let n = 0; n < 25; n++) {
      sent.push((await sender.send(sessionId, `while the token expires ${n}`)).message.id);
      await sleep(400);
    }
    await watcher.until(() => watcher.messageIds.includes(sent.at(-1)!), 15_000, 'last message');
    expect(watcher.errors).toEqual([]);
    expect(watcher.messageIds).toEqual(sent);
    const outbox = await outboxIds(sessionId, watcher.start!);
    expect(watcher.ids).toEqual(outbox.slice(0, watcher.ids.length));
    expect(forced).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('first load: messages sent between the history read and the subscription are neither missed nor doubled', async () => {
    const customer = await userWithRole(t, admin, UserRole.USER, unique('racecustomer'));
    const agentName = unique('raceagent');
    const agent = await userWithRole(t, admin, UserRole.STAFF, agentName);
    const sessionId = await assignedSession(t, admin, customer, agent);
    const sender = sdk(t.graphqlUrl, agentName);
    const sent: string[] = [];
    const watchers: Watcher[] = [];
    for (let n = 0; n < 40; n++) {
      const { message } = await sender.send(sessionId, `race ${n}`);
      sent.push(message.id);
      // Watchers start while the sends go on, so some histories are read mid-stream.
      if (n % 5 === 2) watchers.push(new Watcher(sdk(t.graphqlUrl, 'admin', ADMIN_PASSWORD), sessionId));
    }
    for (const watcher of watchers) {
      await watcher.until(() => watcher.history.some((m) => m.id === sent.at(-1)) || watcher.messageIds.includes(sent.at(-1)!), 10_000, 'last message');
      const fromHistory = watcher.history.map((message) => message.id);
      const live = watcher.messageIds;
      expect(fromHistory.filter((id) => live.includes(id))).toEqual([]);
      const ours = new Set(sent);
      expect([...fromHistory, ...live].filter((id) => ours.has(id))).toEqual(sent);
      const outbox = await outboxIds(sessionId, watcher.start!);
      expect(watcher.ids).toEqual(outbox.slice(0, watcher.ids.length));
    }
  });

  it('send attaches files as a multipart request and a retry with the same clientMessageId stores the message once', async () => {
    const agentName = unique('uploadagent');
    const agent = await userWithRole(t, admin, UserRole.STAFF, agentName);
    const customer = await userWithRole(t, admin, UserRole.USER, unique('uploadcustomer'));
    const sessionId = await assignedSession(t, admin, customer, agent);
    const client = sdk(t.graphqlUrl, agentName);
    const file = new File(['hello from the SDK\n'], 'note.txt', { type: 'text/plain' });
    const first = await client.send(sessionId, 'see attached', { attachments: [file], clientMessageId: 'upload-1' });
    expect(first.created).toBe(true);
    expect(first.message.attachments).toEqual([expect.objectContaining({ name: 'note.txt', type: 'text/plain', size: file.size })]);
    const again = await client.send(sessionId, 'see attached', { attachments: [file], clientMessageId: 'upload-1' });
    expect(again).toMatchObject({ created: false, message: { id: first.message.id } });
  });
});

describe('SDK tokens', () => {
  it('a refused access token is renewed once with the refresh token, however many requests saw it refused', async () => {
    const agentName = unique('refreshagent');
    const agent = await userWithRole(t, admin, UserRole.STAFF, agentName);
    const customer = await userWithRole(t, admin, UserRole.USER, unique('refreshcustomer'));
    const sessionId = await assignedSession(t, admin, customer, agent);
    const operations: string[] = [];
    let expired: string | null = null;
    // The real server, except that the first token is answered as an expired one would be.
    const client = createParleyClient({
      url: t.graphqlUrl,
      credentials: { username: agentName, password: PASSWORD },
      fetch: async (url, init) => {
        operations.push(/(?:query|mutation) (\w+)/.exec(String(init?.body))?.[1] ?? '?');
        if (expired && new Headers(init?.headers).get('authorization') === `Bearer ${expired}`) {
          const refusal = { errors: [{ message: 'Token expired', extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' } }] };
          return new Response(JSON.stringify(refusal), { status: 401, headers: { 'content-type': 'application/json' } });
        }
        return fetch(url, init);
      },
    });
    clients.push(client);
    await client.send(sessionId, 'before expiry');
    expired = await client.token();
    await sleep(1100); // a token issued within the same second would be the same string (same claims, same iat)
    const sent = await Promise.all([1, 2, 3].map((n) => client.send(sessionId, `after expiry ${n}`)));
    expect(sent.map((result) => result.created)).toEqual([true, true, true]);
    expect(operations.filter((name) => name === 'SdkLogin')).toHaveLength(1);
    expect(operations.filter((name) => name === 'SdkRefresh')).toHaveLength(1);
    expect(await client.token()).not.toBe(expired);
  });
});

describe('SDK watchInbox', () => {
  it('follows the inbox through connection cuts: each new session once, in inbox order', async () => {
    const customer = await userWithRole(t, admin, UserRole.USER, unique('inboxcustomer'));
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(t.url).port));
    try {
      const client = sdk(`http://127.0.0.1:${proxy.port}/graphql`, 'admin', ADMIN_PASSWORD);
      const events: InboxEvent[] = [];
      const errors: Error[] = [];
      const stop = client.watchInbox({ onEvent: (event) => events.push(event), onError: (error) => errors.push(error) });
      const open = async () => (await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'Inbox' }, customer.token)).createSession.id;
      // Live once a session opened now shows up (the subscription starts from "now").
      for (let deadline = Date.now() + 10_000; ; ) {
        const id = await open();
        await sleep(200);
        if (events.some((event) => event.sessionId === id)) break;
        if (Date.now() > deadline) throw new Error('inbox never became live');
      }
      const opened: string[] = [];
      for (let n = 0; n < 12; n++) {
        opened.push(await open());
        if (n % 4 === 1) {
          proxy.cut();
          await sleep(100);
          proxy.restore();
        }
      }
      const created = () => events.filter((event) => event.type === 'SESSION_CREATED').map((event) => event.sessionId);
      for (let deadline = Date.now() + 15_000; !opened.every((id) => created().includes(id)); ) {
        if (Date.now() > deadline) throw new Error(`inbox missed sessions: ${opened.filter((id) => !created().includes(id))}`);
        await sleep(50);
      }
      stop();
      expect(errors).toEqual([]);
      const ids = events.map((event) => BigInt(event.id));
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
      expect(created().filter((id) => opened.includes(id))).toEqual(opened);
    } finally {
      await proxy.close();
    }
  });

  it('with activity, delivers every message once, in order, through connection cuts (each item its own event id)', async () => {
    const customer = await userWithRole(t, admin, UserRole.USER, unique('activitycustomer'));
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(t.url).port));
    try {
      const client = sdk(`http://127.0.0.1:${proxy.port}/graphql`, 'admin', ADMIN_PASSWORD);
      const events: InboxEvent[] = [];
      const errors: Error[] = [];
      const stop = client.watchInbox({ onEvent: (event) => events.push(event), onError: (error) => errors.push(error) }, { activity: true });
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'Activity' }, customer.token);
      const say = (content: string) => ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content }, customer.token);
      const messages = () => events.filter((event) => event.sessionId === createSession.id && event.type === 'MESSAGE_CREATED');
      // Live once a message sent now shows up (the subscription starts from "now").
      for (let deadline = Date.now() + 10_000; messages().length === 0; ) {
        await say('ping');
        await sleep(200);
        if (Date.now() > deadline) throw new Error('inbox activity never became live');
      }
      const before = messages().length;
      for (let n = 0; n < 12; n++) {
        await say(`message ${n}`);
        if (n % 4 === 1) {
          proxy.cut();
          await say(`while cut ${n}`);
          proxy.restore();
        }
      }
      const sent = 12 + 3;
      for (let deadline = Date.now() + 15_000; messages().length < before + sent; ) {
        if (Date.now() > deadline) throw new Error(`inbox activity delivered ${messages().length - before} of ${sent} messages`);
        await sleep(50);
      }
      await say('last');
      for (let deadline = Date.now() + 10_000; messages().length < before + sent + 1; ) {
        if (Date.now() > deadline) throw new Error('the last message never arrived');
        await sleep(50);
      }
      stop();
      expect(errors).toEqual([]);
      expect(messages()).toHaveLength(before + sent + 1);
      const ids = events.map((event) => BigInt(event.id));
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
