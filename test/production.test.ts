import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { Tenant } from '../src/model/tenant.entity.js';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, CreateWebhookDocument, DeleteWebhookDocument, SendMessageDocument, WebhookDeliveriesDocument, WebhooksDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from './helpers/database.js';
import { type Actor, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { JWT_SECRET, SECRETS_KEY, startTestServer, type TestServer, type TestServerOptions } from './helpers/server.js';
import { run, wsClient } from './helpers/subscriptions.js';
import { FAST_RETRIES, startWebhookReceiver, until } from './helpers/webhook-receiver.js';

/**
 * The production profile: a server started the way a deployment starts it (NODE_ENV=production,
 * its own JWT_SECRET, PUBLIC_URL), run through every behaviour that differs from development:
 * webhook targets, GraphiQL and the demo console, introspection and field suggestions (HTTP and
 * WebSocket), error bodies, HSTS, and the configuration defaults and required secret.
 */
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET, SECRETS_KEY, PUBLIC_URL: 'https://chat.example.com' };

const html = { accept: 'text/html,application/xhtml+xml' };

/** Public targets: registration only checks them (IP literals, no DNS); each is deleted at once, so nothing is ever sent there. */
const PUBLIC_TARGETS = ['https://8.8.8.8/hook', 'https://1.1.1.1/hook', 'https://93.184.215.14/hook', 'https://[2606:4700::1111]/hook', 'https://[2001:4860:4860::8888]/hook'];

const REFUSED_TARGETS = [
  'http://127.0.0.1:8080/hook',
  'http://localhost/hook',
  'http://2130706433/hook',
  'http://0x7f.1/hook',
  'http://[::1]/hook',
  'http://0.0.0.0/hook',
  'http://[::]/hook',
  'http://10.1.2.3/hook',
  'http://172.16.0.1/hook',
  'http://192.168.1.1/hook',
  'http://100.64.0.1/hook',
  'http://169.254.169.254/latest/meta-data',
  'http://[fd00:ec2::254]/latest/meta-data',
  'http://[fe80::1]/hook',
  'http://[fc00::1]/hook',
  // IPv6 forms that carry a refused IPv4 address.
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[::127.0.0.1]/',
  'http://[64:ff9b::127.0.0.1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[64:ff9b:1::808:808]/',
  'http://[2002:7f00:1::]/',
  'http://[2002:a9fe:a9fe::]/',
  'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/',
];

describe('production profile (NODE_ENV=production)', () => {
  let t: TestServer;
  let admin: Actor;
  beforeAll(async () => {
    t = await startTestServer({ env: PRODUCTION });
    admin = await loginAdmin(t);
  }, 60_000);
  afterAll(() => t.dispose());

  describe('webhook targets at registration', () => {
    /**
     * Registers `url` for every event and deletes it again at once when it was accepted, so nothing
     * is ever delivered anywhere; answers the refusal's reason or ACCEPTED.
     */
    const register = async (url: string) => {
      const result = await gql(t.graphqlUrl, CreateWebhookDocument, { url, events: [] }, admin.token);
      if (result.data) await ok(t.graphqlUrl, DeleteWebhookDocument, { id: result.data.createWebhook.id }, admin.token);
      return { url, outcome: result.errors?.[0]?.extensions?.reason ?? 'ACCEPTED', message: result.errors?.[0]?.message ?? '' };
    };

    it('accepts public IPv4 and IPv6 targets', async () => {
      const outcomes = [];
      for (const url of PUBLIC_TARGETS) outcomes.push(await register(url));
      expect(outcomes.map(({ url, outcome }) => ({ url, outcome }))).toEqual(PUBLIC_TARGETS.map((url) => ({ url, outcome: 'ACCEPTED' })));
    });

    it('refuses loopback, private, metadata, CGNAT and unspecified targets, and IPv6 forms carrying them, with TARGET_NOT_ALLOWED', async () => {
      const outcomes = [];
      for (const url of REFUSED_TARGETS) outcomes.push(await register(url));
      expect(outcomes.map(({ url, outcome }) => ({ url, outcome }))).toEqual(REFUSED_TARGETS.map((url) => ({ url, outcome: 'TARGET_NOT_ALLOWED' })));
      for (const { message } of outcomes) expect(message).toMatch(/loopback, private, link-local or metadata address/);
      expect((await ok(t.graphqlUrl, WebhooksDocument, {}, admin.token)).webhooks).toEqual([]);
    });
  });

  describe('the schema is hidden', () => {
    it('refuses introspection and gives no field suggestions over HTTP', async () => {
      const schema = await gql(t.graphqlUrl, '{ __schema { types { name } } }');
      expect(schema.data).toBeNull();
      expect(schema.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const typo = await gql(t.graphqlUrl, '{ mee { id } }');
      expect(typo.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
    });

    it('refuses introspection and gives no field suggestions over the WebSocket', async () => {
      const client = wsClient(t.url, admin.token);
      try {
        const introspection = await run(client, '{ __schema { types { name } } }');
        expect(introspection.errors?.[0]?.message).toMatch(/introspection/i);
        const typo = await run(client, 'subscription { sessionEvent(sessionId: "1") { __typename } }');
        expect(typo.errors?.[0]?.message).toMatch(/Cannot query field "sessionEvent"/);
        expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
        // The same words as HTTP for the same mistake.
        const overWs = await run(client, '{ mee { id } }');
        const overHttp = await gql(t.graphqlUrl, '{ mee { id } }');
        expect(overWs.errors?.[0]?.message).toBe(overHttp.errors?.[0]?.message);
      } finally {
        await client.dispose();
      }
    });
  });

  it('serves neither GraphiQL, the demo console nor the test clock, and the demo pages open no widget session', async () => {
    const ide = await fetch(t.graphqlUrl, { headers: html });
    expect(ide.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect((await fetch(`${t.graphqlUrl}/ide/graphiql.js`)).headers.get('content-type') ?? '').not.toMatch(/javascript/);
    for (const path of ['/testing/clock', '/demo', '/demo/widget', '/demo/agent', '/demo/config.json']) expect([path, (await fetch(`${t.url}${path}`, { headers: html })).status]).toEqual([path, 404]);
    const tenant = await t.server.orm.em.fork().findOneOrFail(Tenant, { id: t.server.defaultTenantId });
    const ownPage = await gql(
      t.graphqlUrl,
      'mutation($widgetKey: String!, $origin: String) { startWidgetSession(widgetKey: $widgetKey, origin: $origin) { token } }',
      { widgetKey: tenant.widgetKey, origin: t.url },
      undefined,
      { origin: t.url },
    );
    expect(ownPage.errors?.[0]?.extensions?.reason).toBe('ORIGIN_NOT_ALLOWED');
  });

  describe('error bodies carry no internals', () => {
    it('an unexpected failure is a bare INTERNAL_SERVER_ERROR: no stack trace, no SQL, no table or constraint name', async () => {
      const owner = await userWithRole(t, admin, UserRole.USER);
      const connection = t.server.orm.em.fork().getConnection();
      await connection.execute('alter table chat_sessions add constraint production_refuses_all check (id < 0) not valid');
      try {
        const response = await fetch(t.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
          body: JSON.stringify({ query: 'mutation { createSession(subject: "boom") { id } }' }),
        });
        const text = await response.text();
        const body = JSON.parse(text) as { errors: { message: string; extensions: Record<string, unknown> }[] };
        expect(body.errors).toHaveLength(1);
        expect(body.errors[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'INTERNAL' } });
        expect(Object.keys(body.errors[0]!.extensions).sort()).toEqual(['code', 'reason']);
        expect(text).not.toMatch(/stacktrace|production_refuses_all|chat_sessions|insert into|\.js:\d+|\.ts:\d+/i);
      } finally {
        await connection.execute('alter table chat_sessions drop constraint production_refuses_all');
      }
    });

    it('a validation error names the problem, with no stack trace and no schema hint', async () => {
      const text = await (
        await fetch(t.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
          body: JSON.stringify({ query: 'query($p: Priority) { me { id } } ', variables: { p: 'HIG' } }),
        })
      ).text();
      const body = JSON.parse(text) as { errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(body.errors[0]?.message).toMatch(/\$p/);
      expect(text).not.toMatch(/stacktrace|Did you mean|"HIGH"|\.js:\d+/);
    });

    it('an unreadable request body is a JSON refusal, with no stack trace or framework page', async () => {
      const response = await fetch(t.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/json/);
      expect(await response.text()).not.toMatch(/stacktrace|SyntaxError|<html|\.js:\d+|node_modules/i);
    });
  });

  it('sends Strict-Transport-Security', async () => {
    const response = await fetch(`${t.url}/healthz`);
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });
});

describe('production configuration', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-production-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('requires JWT_SECRET (of at least 32 characters), naming it, and generates none', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir })).toThrow(/JWT_SECRET is required when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET: 'too-short' })).toThrow(/JWT_SECRET must be at least 32 characters/);
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(false);
  });

  it('requires SECRETS_KEY (of at least 32 characters), naming it, and generates none', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET })).toThrow(/SECRETS_KEY is required when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET, SECRETS_KEY: 'too-short' })).toThrow(/SECRETS_KEY must be at least 32 characters/);
    expect(() => loadConfig({ ...PRODUCTION, DATA_DIR: dataDir, SECRETS_PREVIOUS_KEY: 'too-short' })).toThrow(/SECRETS_PREVIOUS_KEY must be at least 32 characters/);
    expect(existsSync(join(dataDir, 'secrets-key'))).toBe(false);
  });

  it('refuses the movable test clock', () => {
    expect(() => loadConfig({ ...PRODUCTION, DATA_DIR: dataDir, TEST_CLOCK: 'true' })).toThrow(/TEST_CLOCK must not be true when NODE_ENV=production/);
    expect(loadConfig({ ...PRODUCTION, DATA_DIR: dataDir }).testClock).toBe(false);
  });

  it('defaults to no GraphiQL, no demo, no private webhook targets, and JSON logs even on a terminal', () => {
    const config = loadConfig({ ...PRODUCTION, DATA_DIR: dataDir }, true);
    expect({ graphiql: config.graphiql, demo: config.demo, allowPrivateTargets: config.webhooks.allowPrivateTargets, logFormat: config.logFormat }).toEqual({
      graphiql: false,
      demo: false,
      allowPrivateTargets: false,
      logFormat: 'json',
    });
  });
});

describe('production with GRAPHIQL=true', () => {
  it('serves the IDE and answers its introspection over HTTP', async () => {
    const t = await startTestServer({ env: { ...PRODUCTION, GRAPHIQL: 'true' } });
    try {
      expect((await fetch(t.graphqlUrl, { headers: html })).headers.get('content-type')).toMatch(/text\/html/);
      const schema = await gql(t.graphqlUrl, '{ __schema { queryType { name } } }');
      expect(schema.errors).toBeUndefined();
    } finally {
      await t.dispose();
    }
  }, 60_000);
});

describe('webhook targets at delivery in production', () => {
  it('refuses a loopback target, also written as IPv4-mapped IPv6, when a production node delivers (registered where it was allowed)', async () => {
    const receiver = await startWebhookReceiver();
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-webhook-prod-'));
    const database: TestDatabase = usingPostgres() ? await createTestDatabase() : { url: 'pglite-on-disk', name: `pglite_webhooks_${process.pid}`, drop: async () => {} };
    const options = (env: Record<string, string>): TestServerOptions => ({ dataDir, database, env: { ...FAST_RETRIES, ...env } });
    const targets = [receiver.url, `http://[::ffff:127.0.0.1]:${receiver.port}/`];
    try {
      const dev = await startTestServer(options({ NODE_ENV: 'development' }));
      const devAdmin = await loginAdmin(dev);
      const ids: string[] = [];
      for (const url of targets) ids.push((await ok(dev.graphqlUrl, CreateWebhookDocument, { url, events: ['message.created'] }, devAdmin.token)).createWebhook.id);
      await dev.stop();

      const prod = await startTestServer(options(PRODUCTION));
      try {
        const prodAdmin = await loginAdmin(prod);
        const owner = await userWithRole(prod, prodAdmin, UserRole.USER);
        const { createSession } = await ok(prod.graphqlUrl, CreateSessionDocument, { subject: 'rebinding' }, owner.token);
        await ok(prod.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'must not reach loopback' }, owner.token);
        const attemptsOf = async (webhookId: string) =>
          (await ok(prod.graphqlUrl, WebhookDeliveriesDocument, { webhookId }, prodAdmin.token)).webhookDeliveries.flatMap((delivery) => delivery.attempts);
        for (const id of ids) {
          await until(async () => (await attemptsOf(id)).length >= 2, `two refused attempts to webhook ${id}`);
          const attempts = await attemptsOf(id);
          expect(attempts.map((attempt) => ({ ok: attempt.ok, statusCode: attempt.statusCode, error: attempt.error }))).toEqual(
            attempts.map(() => ({ ok: false, statusCode: null, error: 'TARGET_NOT_ALLOWED' })),
          );
        }
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
