import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createLogger } from '../src/observability/logger.js';
import { loginAdmin } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { wsClient, wsUrl } from './helpers/subscriptions.js';

/** Operators see every WebSocket connect, close and refusal, with the reason and never the token. */
describe('WebSocket connects, closes and refusals in the log', () => {
  const lines: { msg: string; reason?: string; code?: number; endpoint?: string }[] = [];
  const raw: string[] = [];
  let t: TestServer;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        raw.push(chunk.toString());
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    t = await startTestServer({ logger: createLogger('info', sink) });
  });
  afterAll(() => t.dispose());

  /** Opens a graphql-ws connection and resolves with how it ended: acknowledged, or the close code. */
  const connect = (token: string | null) =>
    new Promise<number | 'acknowledged'>((resolve) => {
      const client = wsClient(t.url, token, (code) => resolve(code));
      client.on('connected', () => {
        resolve('acknowledged');
        Promise.resolve(client.dispose()).catch(() => undefined);
      });
      client.subscribe({ query: '{ __typename }' }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    });

  it('logs a refusal with its reason, and a connect and close, at info', async () => {
    expect(await connect('not-a-token')).toBe(4403);
    const admin = await loginAdmin(t);
    expect(await connect(admin.token)).toBe('acknowledged');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'websocket refused', reason: 'INVALID_TOKEN', code: 4403, endpoint: 'graphql-ws' }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'websocket connected', endpoint: 'graphql-ws' }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'websocket closed', endpoint: 'graphql-ws' }));
    const refused = await new Promise<string>((resolve) => {
      const socket = new WebSocket(wsUrl(t.url), 'graphql-transport-ws', { origin: 'https://not-ours.example' });
      socket.once('close', (_code, reason) => resolve(reason.toString()));
      socket.on('error', () => undefined);
    });
    expect(refused).toBe('ORIGIN_NOT_ALLOWED');
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'websocket refused', reason: 'ORIGIN_NOT_ALLOWED', endpoint: 'graphql-ws' }));
    expect(raw.join('')).not.toContain(admin.token);
    expect(raw.join('')).not.toContain('not-a-token');
  });
});
