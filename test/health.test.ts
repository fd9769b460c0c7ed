import { startTestServer, type TestServer } from './helpers/server.js';

describe('operations endpoints', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.dispose());

  it('answers /healthz and /readyz with a trace id header', async () => {
    const health = await fetch(`${t.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(health.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'up', redis: process.env.REDIS_URL ? 'up' : 'disabled' } });
  });

  it('echoes a well-formed incoming trace id and replaces a malformed one', async () => {
    const echoed = await fetch(`${t.url}/healthz`, { headers: { 'x-trace-id': 'abcdef12-trace' } });
    expect(echoed.headers.get('x-trace-id')).toBe('abcdef12-trace');
    const replaced = await fetch(`${t.url}/healthz`, { headers: { 'x-trace-id': 'bad id!' } });
    expect(replaced.headers.get('x-trace-id')).not.toBe('bad id!');
  });

  it('answers unknown routes and malformed JSON with JSON errors, never HTML', async () => {
    const missing = await fetch(`${t.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/json/);
    const malformed = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await malformed.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });
});
