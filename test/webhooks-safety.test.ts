import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, CreateWebhookDocument, SendMessageDocument, WebhookDeliveriesDocument, WebhooksDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer } from './helpers/server.js';
import { FAST_RETRIES, startWebhookReceiver, until } from './helpers/webhook-receiver.js';

describe('an endpoint failing for too long', () => {
  it("is disabled, and that is a webhook.disabled event to the tenant's other endpoints", async () => {
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
        expect.objectContaining({
          type: 'webhook.disabled',
          sessionId: null,
          tenantId: t.server.defaultTenantId,
          data: expect.objectContaining({ webhookId: failing.id, url: dead.url, reason: 'FAILING' }),
        }),
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
