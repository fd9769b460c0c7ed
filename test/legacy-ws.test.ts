import WebSocket from 'ws';
import { UserRole } from '../src/shared/enums.js';
import { AssignAgentDocument, CloseSessionDocument, CreateSessionDocument, SendMessageDocument, SetTypingDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { type Actor, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { wsUrl } from './helpers/subscriptions.js';

interface Frame {
  type: string;
  id?: string;
  data: Record<string, unknown>;
}

let t: TestServer;
let admin: Actor;
let owner: Actor;
let staff: Actor;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t);
  owner = await userWithRole(t, admin, UserRole.USER);
  staff = await userWithRole(t, admin, UserRole.STAFF);
});

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await t.dispose();
});

/** Opens /ws/chat/{id}; resolves with the socket and its frames, or rejects with the refused HTTP status. */
function connect(path: string, headers: Record<string, string> = {}): Promise<{ socket: WebSocket; frames: Frame[]; next: (n: number) => Promise<Frame[]> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(t.url, path), { headers });
    sockets.push(socket);
    const frames: Frame[] = [];
    const waiters = new Set<() => void>();
    socket.on('message', (data) => {
      frames.push(JSON.parse(String(data)) as Frame);
      for (const waiter of [...waiters]) waiter();
    });
    const next = (n: number) =>
      new Promise<Frame[]>((done) => {
        const check = () => {
          if (frames.length >= n) {
            waiters.delete(check);
            done(frames);
          }
        };
        waiters.add(check);
        check();
      });
    socket.once('open', () => resolve({ socket, frames, next }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => reject(Object.assign(new Error(`refused ${response.statusCode}`), { status: response.statusCode, body: JSON.parse(body || '{}') })));
    });
    socket.once('error', (error) => reject(error));
  });
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ status: 0, body: {} }),
    (error: { status?: number; body?: unknown }) => ({ status: error.status, body: error.body }),
  );

describe('legacy WebSocket /ws/chat/{sessionId}', () => {
  it('pushes message, typing and session_update frames in the seed shapes, field by field', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'legacy', tags: ['billing'] }, owner.token);
    const sessionId = createSession.id;
    const { socket, next } = await connect(`/ws/chat/${sessionId}?since=0`, { authorization: `Bearer ${owner.token}` });

    const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'hello legacy' }, owner.token);
    const [message] = (await next(1)).filter((frame) => frame.type === 'message');
    expect(Object.keys(message!).sort()).toEqual(['data', 'id', 'type']);
    expect(message!.data).toEqual({
      id: sendMessage.message.id,
      content: 'hello legacy',
      sender: 'user',
      timestamp: sendMessage.message.createdAt,
      read: false,
      status: 'sent',
    });

    await ok(t.graphqlUrl, SetTypingDocument, { sessionId, isTyping: true }, admin.token);
    const typing = (await next(2))[1]!;
    expect(typing.type).toBe('typing');
    expect(typing.id).toBeUndefined();
    expect(Object.keys(typing.data).sort()).toEqual(['isTyping', 'timestamp', 'userId']);
    expect(typing.data).toMatchObject({ userId: admin.userId, isTyping: true });
    expect(new Date(typing.data.timestamp as string).toISOString()).toBe(typing.data.timestamp);

    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId, agentId: staff.userId }, admin.token);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId }, admin.token);
    const updates = (await next(4)).filter((frame) => frame.type === 'session_update');
    expect(updates.map((frame) => frame.data.status)).toEqual(['active', 'closed']);
    expect(updates[1]!.data).toEqual({
      id: sessionId,
      userId: owner.userId,
      agentId: staff.userId,
      status: 'closed',
      startedAt: createSession.startedAt,
      endedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      subject: 'legacy',
      priority: 'medium',
      tags: ['billing'],
    });
    socket.close();
  });

  it('accepts the token as ?token= and resumes with ?since= (missed frames replayed once, in order)', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'resume' }, owner.token);
    const sessionId = createSession.id;
    const { sendMessage: first } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'one' }, owner.token);
    const { socket, next } = await connect(`/ws/chat/${sessionId}?token=${owner.token}&since=0`);
    const [firstFrame] = await next(1);
    expect(firstFrame).toMatchObject({ type: 'message', id: expect.any(String), data: { id: first.message.id, content: 'one' } });
    socket.close();

    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'two' }, owner.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'three' }, owner.token);
    const resumed = await connect(`/ws/chat/${sessionId}?token=${owner.token}&since=${firstFrame!.id}`);
    const frames = await resumed.next(2);
    expect(frames.map((frame) => frame.data.content)).toEqual(['two', 'three']);
    resumed.socket.close();
  });

  it('refuses the upgrade before any event: 401 without or with a bad token, 403 for a session the viewer may not read, 404 for an unknown one', async () => {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'private' }, owner.token);
    const anonymous = await refusal(connect(`/ws/chat/${createSession.id}`));
    expect(anonymous).toEqual({ status: 401, body: { success: false, message: expect.any(String), error: { code: 'UNAUTHORIZED', message: expect.any(String) } } });
    expect((await refusal(connect(`/ws/chat/${createSession.id}?token=not-a-token`))).status).toBe(401);
    const forbidden = await refusal(connect(`/ws/chat/${createSession.id}`, { authorization: `Bearer ${staff.token}` }));
    expect(forbidden).toMatchObject({ status: 403, body: { success: false, error: { code: 'FORBIDDEN' } } });
    expect((await refusal(connect('/ws/chat/999999', { authorization: `Bearer ${owner.token}` }))).status).toBe(404);
  });

  it('closes with 1008 once the viewer loses access', async () => {
    const shortLived = await t.server.deps.tokens.issueAccessToken(owner.userId, t.server.defaultTenantId, 0, 2);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'expiring' }, owner.token);
    const { socket } = await connect(`/ws/chat/${createSession.id}?token=${shortLived}`);
    const code = await new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(1008);
  }, 15_000);
});
