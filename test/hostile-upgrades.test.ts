import WebSocket from 'ws';
import { rawRequest, upgradeRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { wsUrl } from './helpers/subscriptions.js';

/**
 * Upgrades and requests no real client would send. Each must get a status line (or a closed
 * socket), never an unhandled rejection (the test environment fails on one), and the server
 * must still answer afterwards.
 */
const LONG = 'a'.repeat(8 * 1024);
const HOSTILE_TARGETS: [string, string][] = [
  ['a truncated escape in the legacy session id', '/ws/chat/%'],
  ['a lone lead byte in the legacy session id', '/ws/chat/%E0'],
  ['an invalid UTF-8 sequence in the legacy session id', '/ws/chat/%C3%28'],
  ['an encoded lone surrogate in the legacy session id', '/ws/chat/%ED%A0%80'],
  ['a bad escape in the legacy query', '/ws/chat/1?since=%E0&token=%'],
  ['a target that is not a URL', '//['],
  ['a target that is not a URL, ending in /graphql', '//[/graphql'],
  ['a protocol-relative target', '//evil.example/graphql'],
  ['an absolute-form target', 'http://evil.example/graphql'],
  ['an asterisk target', '*'],
  ['an 8 KB legacy path', `/ws/chat/${LONG}`],
  ['an 8 KB path', `/${LONG}`],
  ['an 8 KB query on /graphql', `/graphql?${LONG}`],
  ['a NUL escape', '/ws/chat/%00'],
  ['backslashes', '/ws\\chat\\1'],
  ['a bad escape in a v1 guest key', '/api/v1/chat/guest/session/%E0/messages'],
  ['a truncated escape in a room id', '/api/chat/rooms/%/messages/'],
  ['an invalid UTF-8 sequence in a widget conversation id', '/widget/conversations/%C3%28/messages'],
];

const HOSTILE_HEADERS: [string, string, string[]][] = [
  ['an Origin of null', '/graphql', ['Origin: null']],
  ['an Origin that is not a URL', '/graphql', ['Origin: %%%[']],
  ['an 8 KB Origin', '/ws/chat/1', [`Origin: https://${LONG}.example`]],
  ['an empty bearer token', '/ws/chat/1', ['Authorization: Bearer ']],
  ['a bearer token of junk', '/ws/chat/1', ['Authorization: Bearer %E0.%E0.%E0']],
  ['an 8 KB bearer token', '/ws/chat/1', [`Authorization: Bearer ${LONG}`]],
  ['a Basic authorization', '/ws/chat/1', ['Authorization: Basic Og==']],
  ['two Authorization headers', '/ws/chat/1', ['Authorization: Bearer a', 'Authorization: Bearer b']],
  ['an empty subprotocol list', '/graphql', ['Sec-WebSocket-Protocol: ,,,']],
  ['an unknown subprotocol', '/graphql', ['Sec-WebSocket-Protocol: graphql-ws, x\u00ff']],
  ['an 8 KB subprotocol', '/graphql', [`Sec-WebSocket-Protocol: ${LONG}`]],
  ['a second Sec-WebSocket-Key', '/graphql', ['Sec-WebSocket-Key: AAAA']],
];

describe('hostile WebSocket upgrades', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.dispose();
  });

  async function expectAlive(): Promise<void> {
    const health = await fetch(`${t.url}/healthz`);
    expect(health.status).toBe(200);
  }

  it.each(HOSTILE_TARGETS)('answers an upgrade with %s with a 4xx status line and stays up', async (_name, target) => {
    const response = await rawRequest(t.url, upgradeRequest(target));
    // Node's parser may refuse the worst targets itself (a 400 too) before any handler sees them.
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await expectAlive();
  });

  it.each([
    ['/ws/chat/%E0', 400],
    ['/ws/chat/%', 400],
    ['/ws/chat/%C3%28', 400],
    ['//[', 400],
    ['//[/graphql', 400],
    ['/nowhere', 404],
  ] as const)('refuses the upgrade to %s with %i', async (target, status) => {
    expect((await rawRequest(t.url, upgradeRequest(target))).status).toBe(status);
  });

  it.each(HOSTILE_HEADERS)('answers an upgrade with %s and stays up', async (_name, target, headers) => {
    const response = await rawRequest(t.url, upgradeRequest(target, headers));
    // A refusal (4xx) or a handshake whose subprotocol graphql-ws then refuses (101 + close).
    expect(response.status === 101 || (response.status !== null && response.status >= 400 && response.status < 500)).toBe(true);
    await expectAlive();
  });

  it.each(HOSTILE_TARGETS)('answers a plain GET with %s below 500 and stays up', async (_name, target) => {
    const response = await rawRequest(t.url, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await expectAlive();
  });

  it('answers a plain request whose Host is not a host name and stays up', async () => {
    for (const path of ['/api/chat/rooms/1/messages/', '/api/v1/chat/guest/session/x/messages', '/graphql', '/healthz']) {
      const response = await rawRequest(t.url, `GET ${path} HTTP/1.1\r\nHost: [\r\nConnection: close\r\n\r\n`);
      expect(response.status).not.toBeNull();
      expect(response.status!).toBeLessThan(500);
    }
    await expectAlive();
  });

  it('still upgrades a well-formed client after all of the above', async () => {
    const protocol = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(wsUrl(t.url), 'graphql-transport-ws');
      ws.on('open', () => {
        resolve(ws.protocol);
        ws.close();
      });
      ws.on('error', reject);
    });
    expect(protocol).toBe('graphql-transport-ws');
  });
});
