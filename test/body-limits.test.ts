import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { UserRole } from '../src/shared/enums.js';
import { CreateRoomDocument, SendMessageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { type Actor, assignedSession, guestSession, loginAdmin, userWithRole, widgetConversation } from './helpers/fixtures.js';
import { rawRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const GIGABYTE = 1024 * 1024 * 1024;
const BOUNDARY = 'parley-limit-boundary';

/** A request that declares a 1 GB body and sends only its first kilobyte: it must be answered without waiting for the rest. */
function declaredHuge(method: string, path: string, headers: Record<string, string>): string {
  const head = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Content-Length: ${GIGABYTE}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return `${head.join('\r\n')}\r\n\r\n${'x'.repeat(1024)}`;
}

const multipart = { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` };
const json = { 'Content-Type': 'application/json' };

describe("request bodies over the limit are refused on their declared length, in the caller's dialect", () => {
  let t: TestServer;
  let owner: Actor;
  let sessionId: string;
  let guest: { token: string; sessionKey: string };
  let roomId: string;
  let widget: { token: string; conversation: string };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await startTestServer();
    const admin = await loginAdmin(t);
    owner = await userWithRole(t, admin, UserRole.USER);
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    sessionId = await assignedSession(t, admin, owner, staff);
    guest = await guestSession(t);
    roomId = (await ok(t.graphqlUrl, CreateRoomDocument, { name: 'limits', memberIds: [] }, owner.token)).createRoom.id;
    widget = await widgetConversation(t);
  });
  afterAll(() => t.dispose());

  describe('GraphQL', () => {
    it('refuses a JSON body with 413 and the GraphQL error of an oversized body (BODY_TOO_LARGE)', async () => {
      const response = await rawRequest(t.url, declaredHuge('POST', '/graphql', { ...json, ...bearer(owner.token) }));
      expect(response.status).toBe(413);
      expect(response.body).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'BAD_REQUEST', reason: 'BODY_TOO_LARGE' } }] });
    });

    it('refuses a multipart body with 413 when it carries the preflight header', async () => {
      const response = await rawRequest(t.url, declaredHuge('POST', '/graphql', { ...multipart, 'Apollo-Require-Preflight': 'true', ...bearer(owner.token) }));
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', reason: 'REQUEST_TOO_LARGE' } }] });
    });

    it('refuses a multipart body without the preflight header before reading it (400)', async () => {
      const response = await rawRequest(t.url, declaredHuge('POST', '/graphql', { ...multipart, ...bearer(owner.token) }));
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', reason: 'CSRF_PREFLIGHT_REQUIRED' } }] });
    });
  });

  it('chat API (seed 001): JSON and multipart sends get 413 PAYLOAD_TOO_LARGE in the APIResponse body', async () => {
    for (const [path, headers] of [
      ['/api/chat/sessions', json],
      [`/api/chat/sessions/${sessionId}/messages`, json],
      [`/api/chat/sessions/${sessionId}/messages`, multipart],
    ] as const) {
      const response = await rawRequest(t.url, declaredHuge('POST', path, { ...headers, ...bearer(owner.token) }));
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ success: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    }
  });

  it('v1 (seeds 000 and 003): 413 PAYLOAD_TOO_LARGE in the envelope', async () => {
    for (const [path, headers] of [
      ['/api/v1/chat/guest/session', json],
      [`/api/v1/chat/guest/session/${guest.sessionKey}/messages`, { ...json, ...bearer(guest.token) }],
    ] as const) {
      const response = await rawRequest(t.url, declaredHuge('POST', path, headers));
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ success: false, data: null, error: { code: 'PAYLOAD_TOO_LARGE' } });
    }
  });

  it('widget (seed 002): 413 {"detail": "payload_too_large"}', async () => {
    const response = await rawRequest(t.url, declaredHuge('POST', `/widget/conversations/${widget.conversation}/messages`, { ...json, ...bearer(widget.token) }));
    expect([response.status, response.body]).toEqual([413, { detail: 'payload_too_large' }]);
  });

  it('rooms (seed 004): 413 with a DRF detail', async () => {
    const response = await rawRequest(t.url, declaredHuge('POST', `/api/chat/rooms/${roomId}/messages/`, { ...json, ...bearer(owner.token) }));
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ detail: expect.any(String) });
  });

  it('still serves requests afterwards', async () => {
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'still here' }, owner.token);
  });
});

describe('HTTP timeouts', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '1500' } });
  });
  afterAll(() => t.dispose());

  /** Sends `bytes` and never finishes the request; resolves with what the server answered once it closed the connection. */
  const stall = (bytes: string) =>
    new Promise<string>((resolve) => {
      const { hostname, port } = new URL(t.url);
      const socket = connect(Number(port), hostname, () => socket.write(bytes));
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(received));
    });

  it('closes a connection whose headers never finish (HTTP_HEADERS_TIMEOUT_MS)', async () => {
    expect(await stall('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')).toMatch(/^(HTTP\/1\.1 408|$)/);
  });

  it('closes a connection whose body never finishes (HTTP_REQUEST_TIMEOUT_MS)', async () => {
    const body = JSON.stringify({ session_id: randomUUID() });
    const answer = await stall(`POST /api/v1/chat/guest/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 10}\r\n\r\n${body}`);
    expect(answer).toMatch(/^(HTTP\/1\.1 408|$)/);
  });
});
