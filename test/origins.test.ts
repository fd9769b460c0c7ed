import WebSocket from 'ws';
import { createTenant } from '../src/tenants/tenant.service.js';
import { unique } from './helpers/fixtures.js';
import { rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { wsUrl } from './helpers/subscriptions.js';

/** One origin rule (shared/origin.ts) where origins are stored and wherever they are compared. */
describe('origins compare the way browsers send them', () => {
  let t: TestServer;
  let widgetKey: string;
  beforeAll(async () => {
    t = await startTestServer({ env: { CORS_ORIGINS: 'https://App.Example:443/' } });
    const em = t.server.orm.em.fork();
    const tenant = await createTenant(em, unique('shop-'));
    // Stored as an operator might have typed it before origins were normalised on the way in.
    tenant.allowedOrigins = ['https://Shop.Example/'];
    await em.flush();
    widgetKey = tenant.widgetKey;
  });
  afterAll(() => t.dispose());
  /**
   * How a page on `origin` fares on /graphql: it says connection_init without credentials, so an
   * allowed origin ends with AUTHENTICATION_REQUIRED and a refused one with ORIGIN_NOT_ALLOWED.
   */
  const closeReason = (origin: string) =>
    new Promise<string>((resolve) => {
      const socket = new WebSocket(wsUrl(t.url), 'graphql-transport-ws', { origin });
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
      socket.once('close', (_code, reason) => resolve(reason.toString()));
      socket.on('error', () => undefined);
    });

  it("a tenant's widget origin is the same origin for the widget route and for WebSocket upgrades", async () => {
    const started = await rest(t.url, 'POST', '/widget/session', { body: { widget_key: widgetKey }, headers: { origin: 'https://shop.example' } });
    expect(started.status).toBe(201);
    expect(await closeReason('https://shop.example')).toBe('AUTHENTICATION_REQUIRED');
    expect(await closeReason('https://shop.example.evil')).toBe('ORIGIN_NOT_ALLOWED');
    const elsewhere = await rest(t.url, 'POST', '/widget/session', { body: { widget_key: widgetKey }, headers: { origin: 'http://shop.example' } });
    expect(elsewhere.status).toBe(403);
  });

  it('CORS_ORIGINS are normalised once at start: the browser form of the origin is allowed', async () => {
    expect(await closeReason('https://app.example')).toBe('AUTHENTICATION_REQUIRED');
    const cors = await fetch(`${t.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    expect(cors.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});
