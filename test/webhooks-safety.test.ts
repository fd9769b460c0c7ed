import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, CreateWebhookDocument, SendMessageDocument, WebhookDeliveriesDocument, WebhooksDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from './helpers/database.js';
import { loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServerOptions } from './helpers/server.js';
import { FAST_RETRIES, startWebhookReceiver, until } from './helpers/webhook-receiver.js';

describe('outbound safety in production', () => {
  it('refuses loopback, private and metadata targets at registration, with a clear error', async () => {
    const t = await startTestServer({ env: { NODE_ENV: 'production' } });
    try {
      const admin = await loginAdmin(t);
      for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]/hook', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:127.0.0.1]/']) {
        const result = await gql(t.graphqlUrl, CreateWebhookDocument, { url, events: [] }, admin.token);
        expect({ url, extensions: result.errors?.[0]?.extensions }).toEqual({ url, extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'TARGET_NOT_ALLOWED' }) });
        expect(result.errors?.[0]?.message).toMatch(/loopback, private, link-local or metadata address/);
      }
      expect((await ok(t.graphqlUrl, WebhooksDocument, {}, admin.token)).webhooks).toEqual([]);
    } finally {
      await t.dispose();
    }
  }, 60_000);

  it('refuses a loopback target at delivery too (registered where it was allowed, delivered in production)', async () => {
    const receiver = await startWebhookReceiver();
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-webhook-prod-'));
    const database: TestDatabase = usingPostgres() ? await createTestDatabase() : { url: 'pglite-on-disk', name: `pglite_webhooks_${process.pid}`, drop: async () => {} };
    const options = (env: Record<string, string>): TestServerOptions => ({ dataDir, database, env: { ...FAST_RETRIES, ...env } });
    try {
      const dev = await startTestServer(options({ NODE_ENV: 'development' }));
      const admin = await loginAdmin(dev);
      const { createWebhook } = await ok(dev.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['message.created'] }, admin.token);
      await dev.stop();

      const prod = await startTestServer(options({ NODE_ENV: 'production' }));
      try {
        const prodAdmin = await loginAdmin(prod);
        const owner = await userWithRole(prod, prodAdmin, UserRole.USER);
        const { createSession } = await ok(prod.graphqlUrl, CreateSessionDocument, { subject: 'rebinding' }, owner.token);
        await ok(prod.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'must not reach loopback' }, owner.token);
        const refusedAttempts = async () => {
          const { webhookDeliveries } = await ok(prod.graphqlUrl, WebhookDeliveriesDocument, { webhookId: createWebhook.id }, prodAdmin.token);
          return webhookDeliveries.flatMap((delivery) => delivery.attempts);
        };
        await until(async () => (await refusedAttempts()).length >= 2, 'two refused attempts');
        expect(await refusedAttempts()).toEqual(expect.arrayContaining([expect.objectContaining({ ok: false, statusCode: null, error: 'TARGET_NOT_ALLOWED' })]));
        expect((await refusedAttempts()).every((attempt) => attempt.error === 'TARGET_NOT_ALLOWED')).toBe(true);
        expect(receiver.received).toEqual([]);
      } finally {
        await prod.stop();
      }
    } finally {
      await receiver.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('an endpoint failing for too long', () => {
  it('is disabled, and that is a webhook.disabled event to the tenant\'s other endpoints', async () => {
    const t = await startTestServer({ env: { ...FAST_RETRIES, WEBHOOK_DISABLE_AFTER_SECONDS: '1' } });
    const watcher = await startWebhookReceiver();
    const dead = await startWebhookReceiver();
    await dead.goAway();
    try {
      const admin = await loginAdmin(t);
      const { createWebhook: failing } = await ok(t.graphqlUrl, CreateWebhookDocument, { url: dead.url, events: ['message.created'] }, admin.token);
      const { createWebhook: watching } = await ok(t.graphqlUrl, CreateWebhookDocument, { url: watcher.url, events: ['webhook.disabled'] }, admin.token);
      const owner = await userWithRole(t, admin, UserRole.USER);
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'failing' }, owner.token);
      await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'nobody listens' }, owner.token);
      await watcher.waitFor((received) => received.length > 0, 'webhook.disabled');
      expect(watcher.received.map((hook) => hook.json)).toEqual([
        expect.objectContaining({ type: 'webhook.disabled', sessionId: null, tenantId: t.server.defaultTenantId, data: expect.objectContaining({ webhookId: failing.id, url: dead.url, reason: 'FAILING' }) }),
      ]);
      const { webhooks } = await ok(t.graphqlUrl, WebhooksDocument, {}, admin.token);
      expect(webhooks.find((w) => w.id === failing.id)).toMatchObject({ enabled: false, disabledReason: 'FAILING' });
      expect(webhooks.find((w) => w.id === watching.id)).toMatchObject({ enabled: true });
      // The undelivered event waits (PENDING) for the endpoint to be enabled again.
      const { webhookDeliveries } = await ok(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId: failing.id }, admin.token);
      expect(webhookDeliveries.map((d) => d.status)).toEqual(['PENDING']);
    } finally {
      await watcher.close();
      await t.dispose();
    }
  }, 60_000);
});

describe('one attempt is bounded', () => {
  it('follows no redirect, reads at most WEBHOOK_RESPONSE_BODY_BYTES of a response, and gives up at WEBHOOK_TIMEOUT_MS', async () => {
    const t = await startTestServer({ env: { ...FAST_RETRIES, WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_CONNECT_TIMEOUT_MS: '500', WEBHOOK_RESPONSE_BODY_BYTES: '100' } });
    const elsewhere = await startWebhookReceiver();
    const servers = await Promise.all([
      rawServer((_req, res) => res.writeHead(307, { location: elsewhere.url }).end()),
      rawServer((_req, res) => res.writeHead(500).end('x'.repeat(1_000_000))),
      rawServer(() => undefined), // never answers
    ]);
    try {
      const admin = await loginAdmin(t);
      const ids: string[] = [];
      for (const server of servers) ids.push((await ok(t.graphqlUrl, CreateWebhookDocument, { url: server.url, events: ['message.created'] }, admin.token)).createWebhook.id);
      const owner = await userWithRole(t, admin, UserRole.USER);
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'bounded' }, owner.token);
      await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'hello' }, owner.token);
      const firstAttempt = async (webhookId: string) => (await ok(t.graphqlUrl, WebhookDeliveriesDocument, { webhookId }, admin.token)).webhookDeliveries[0]?.attempts[0];
      for (const id of ids) await until(async () => (await firstAttempt(id)) !== undefined, `an attempt to webhook ${id}`);
      const [redirect, big, hang] = await Promise.all(ids.map(firstAttempt));
      expect(redirect).toMatchObject({ ok: false, statusCode: 307, error: 'REDIRECT_NOT_FOLLOWED' });
      expect(elsewhere.received).toEqual([]);
      expect(big).toMatchObject({ ok: false, statusCode: 500, error: null, responseBody: 'x'.repeat(100) });
      expect(hang).toMatchObject({ ok: false, statusCode: null, error: 'TIMEOUT' });
    } finally {
      await elsewhere.close();
      for (const server of servers) await server.close();
      await t.dispose();
    }
  }, 60_000);
});

async function rawServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
