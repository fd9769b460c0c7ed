import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseAdminCommand } from '../src/admin/admin.commands.js';
import { totpCode } from '../src/auth/totp.js';
import { sealStoredSecretsAtStart, webhookSecretPlace } from '../src/db/stored-secrets.js';
import { createLogger } from '../src/observability/logger.js';
import { UserRole } from '../src/shared/enums.js';
import { SecretBox, SecretUnreadable } from '../src/shared/secret-box.js';
import {
  ConfirmTotpDocument,
  CreateSessionDocument,
  CreateWebhookDocument,
  EnrollTotpDocument,
  LoginWithSecondFactorDocument,
  MeDocument,
  RotateWebhookSecretDocument,
  SendMessageDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { type Actor, loginAdmin, PASSWORD, unique, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FAST_RETRIES, startWebhookReceiver, until, verifyAll, type WebhookReceiver } from './helpers/webhook-receiver.js';

const KEY_A = 'secrets-key-a-that-is-long-enough-0123456789';
const KEY_B = 'secrets-key-b-that-is-long-enough-0123456789';
const KEY_C = 'secrets-key-c-that-is-long-enough-0123456789';
const kidOf = (key: string) => new SecretBox(new TextEncoder().encode(key)).currentKid;

/** Every column that holds a secret, read straight from the database. */
const SECRET_COLUMNS = `select secret as value from webhook_endpoints union all select previous_secret from webhook_endpoints
  union all select secret from user_two_factor union all select pending_secret from user_two_factor`;

/**
 * One database through a key rotation: servers started with key A, then B with A as the previous
 * key, then B alone, then a key that sealed nothing. Secrets stay sealed throughout, webhooks
 * still verify with the secret shown once, and TOTP sign-in still works.
 */
describe('secrets at rest', () => {
  let database: TestDatabase;
  let dataDir: string;
  let t: TestServer | null = null;
  let receiver: WebhookReceiver;
  let admin: Actor;
  let customer: Actor;
  let sessionId: string;
  /** The endpoint's current secret, as shown to the admin, and the one before rotation. */
  let hook: { id: string; secret: string; oldSecret: string };
  /** A user with TOTP on, and one with an enrolment still pending. */
  let totpUser: { username: string; secret: string };
  let pendingSecret: string;

  /** What the running server logged at warn and above. */
  let logs: { msg: string }[] = [];
  const start = async (env: Record<string, string>) => {
    logs = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    });
    t = await startTestServer({ database, dataDir, env: { ...FAST_RETRIES, ...env }, logger: createLogger('warn', sink) });
    admin = await loginAdmin(t);
    return t;
  };
  const stop = async () => {
    await t?.stop();
    t = null;
  };
  const sql = <T extends Record<string, unknown>[]>(query: string, params: unknown[] = []) => t!.server.orm.em.fork().getConnection().execute<T>(query, params);
  const stored = async () => (await sql<{ value: string | null }[]>(SECRET_COLUMNS)).map((row) => row.value).filter((value): value is string => value !== null);
  const lastError = async (endpointId: string) =>
    (await sql<{ last_error: string | null }[]>('select last_error from webhook_deliveries where endpoint_id = ? order by id desc limit 1', [endpointId]))[0]?.last_error;
  /** A fresh TOTP sign-in (the last accepted step is forgotten: each phase signs in within the same 30 s). */
  const totpLogin = async () => {
    await sql('update user_two_factor set last_step = null');
    return gql(t!.graphqlUrl, LoginWithSecondFactorDocument, { username: totpUser.username, password: PASSWORD, totp: totpCode(totpUser.secret, Date.now()) });
  };
  /** Sends a message and waits for its webhook, checking every signature with the secret shown once. */
  const deliversSigned = async (content: string) => {
    await ok(t!.graphqlUrl, SendMessageDocument, { sessionId, content }, customer.token);
    await receiver.waitFor((all) => all.some((h) => h.status === 204 && (h.json.data as { message?: { content?: string } }).message?.content === content), `the webhook of "${content}"`);
    verifyAll(
      receiver.accepted().filter((h) => (h.json.data as { message?: { content?: string } }).message?.content === content),
      hook.secret,
    );
  };

  beforeAll(async () => {
    const created = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'parley-secrets-'));
    // Restarts need a database that outlives a server: PGlite on disk under dataDir, or the PostgreSQL one.
    database = created.url === 'memory://' ? { url: 'pglite-on-disk', name: created.name, drop: async () => {} } : created;
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await stop();
    await receiver.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores webhook and TOTP secrets sealed under SECRETS_KEY, never in the clear, and still signs and verifies with them', async () => {
    await start({ SECRETS_KEY: KEY_A });
    const created = (await ok(t!.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['message.created'] }, admin.token)).createWebhook;
    const rotated = (await ok(t!.graphqlUrl, RotateWebhookSecretDocument, { id: created.id }, admin.token)).rotateWebhookSecret;
    hook = { id: created.id, secret: rotated.secret, oldSecret: created.secret };

    const name = unique('sealed');
    const user = await userWithRole(t!, admin, UserRole.STAFF, name);
    const { enrollTotp } = await ok(t!.graphqlUrl, EnrollTotpDocument, { password: PASSWORD }, user.token);
    await ok(t!.graphqlUrl, ConfirmTotpDocument, { code: totpCode(enrollTotp.secret, Date.now() - 30_000) }, user.token);
    totpUser = { username: name, secret: enrollTotp.secret };
    const pending = await userWithRole(t!, admin, UserRole.USER);
    pendingSecret = (await ok(t!.graphqlUrl, EnrollTotpDocument, { password: PASSWORD }, pending.token)).enrollTotp.secret;

    // Four sealed values (secret and previous secret, TOTP secret and a pending one), none holding a plaintext.
    const values = await stored();
    expect(values).toHaveLength(4);
    for (const value of values) {
      expect(value).toMatch(new RegExp(`^enc:v1:${kidOf(KEY_A)}:[\\w-]+:[\\w-]+:[\\w-]+:[\\w-]+$`));
      for (const plaintext of [hook.secret, hook.oldSecret, totpUser.secret, pendingSecret]) {
        expect(value).not.toContain(plaintext);
        // The key part of a whsec_ secret, and any other spelling of it, is absent too.
        expect(value).not.toContain(plaintext.replace(/^whsec_/, ''));
      }
    }

    customer = await userWithRole(t!, admin, UserRole.USER);
    sessionId = (await ok(t!.graphqlUrl, CreateSessionDocument, { subject: 'secrets' }, customer.token)).createSession.id;
    await deliversSigned('under key A');
    // During the grace period the old secret signs too (the header carries both signatures).
    verifyAll(receiver.accepted().slice(-1), hook.oldSecret);
    expect((await totpLogin()).errors).toBeUndefined();
  }, 120_000);

  it('a sealed secret copied to another row does not open there: the delivery fails clearly, nothing crashes', async () => {
    const other = (await ok(t!.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['message.created'] }, admin.token)).createWebhook;
    await sql('update webhook_endpoints set secret = (select secret from webhook_endpoints where id = ?), previous_secret = null where id = ?', [hook.id, other.id]);
    await ok(t!.graphqlUrl, SendMessageDocument, { sessionId, content: 'copied secret' }, customer.token);
    await until(async () => (await lastError(other.id)) === 'SECRET_UNREADABLE', 'the copied secret refused');
    // Nothing was sent for it: its one attempt is recorded with the reason and no response.
    const attempts = await sql<{ ok: boolean; error: string | null; status_code: number | null }[]>(
      'select a.ok, a.error, a.status_code from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id where d.endpoint_id = ?',
      [other.id],
    );
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((a) => !a.ok && a.error === 'SECRET_UNREADABLE' && a.status_code === null)).toBe(true);
    // The same holds for the box itself: bound to its place, refused elsewhere as TAMPERED.
    const [row] = await sql<{ secret: string }[]>('select secret from webhook_endpoints where id = ?', [hook.id]);
    const box = new SecretBox(new TextEncoder().encode(KEY_A));
    expect(box.open(row!.secret, webhookSecretPlace(hook.id))).toBe(hook.secret);
    expect(() => box.open(row!.secret, webhookSecretPlace(other.id))).toThrow(SecretUnreadable);
    await sql('delete from webhook_endpoints where id = ?', [other.id]);
    expect((await ok(t!.graphqlUrl, MeDocument, {}, admin.token)).me?.username).toBe('admin');
  }, 60_000);

  it('seals a secret stored in the clear (from before sealing) at start, idempotently', async () => {
    const legacy = (await ok(t!.graphqlUrl, CreateWebhookDocument, { url: receiver.url, events: ['sla.breached'] }, admin.token)).createWebhook;
    await sql('update webhook_endpoints set secret = ? where id = ?', [legacy.secret, legacy.id]);
    await sealStoredSecretsAtStart(t!.server.orm.em.fork(), t!.server.deps.secrets, t!.server.logger);
    const [row] = await sql<{ secret: string }[]>('select secret from webhook_endpoints where id = ?', [legacy.id]);
    expect(row!.secret).toMatch(/^enc:v1:/);
    expect(row!.secret).not.toContain(legacy.secret.replace(/^whsec_/, ''));
    expect(t!.server.deps.secrets.open(row!.secret, webhookSecretPlace(legacy.id))).toBe(legacy.secret);
    // Twice is the same as once.
    await sealStoredSecretsAtStart(t!.server.orm.em.fork(), t!.server.deps.secrets, t!.server.logger);
    expect((await sql<{ secret: string }[]>('select secret from webhook_endpoints where id = ?', [legacy.id]))[0]!.secret).toBe(row!.secret);
    // Left in the clear for the next start (under the next key) to seal.
    await sql('update webhook_endpoints set secret = ? where id = ?', [legacy.secret, legacy.id]);
    await stop();
  }, 60_000);

  it('rotates: key B with A as the previous key reads everything, rotate-secrets moves it all under B, then B alone works', async () => {
    await start({ SECRETS_KEY: KEY_B, SECRETS_PREVIOUS_KEY: KEY_A });
    // The start sealed the plaintext one, under B; the others are still under A.
    const kids = (await stored()).map((value) => value.split(':')[2]);
    expect(kids.filter((kid) => kid === kidOf(KEY_A))).toHaveLength(4);
    expect(kids.filter((kid) => kid === kidOf(KEY_B))).toHaveLength(1);
    await deliversSigned('under B, previous A');
    expect((await totpLogin()).errors).toBeUndefined();

    const rotate = () => parseAdminCommand(['rotate-secrets']).run({ ...t!.server.deps, orm: t!.server.orm });
    expect(await rotate()).toBe(`sealed 0, re-wrapped 4 under key ${kidOf(KEY_B)}`);
    expect(await rotate()).toBe(`sealed 0, re-wrapped 0 under key ${kidOf(KEY_B)}`);
    const values = await stored();
    expect(values.every((value) => value.startsWith(`enc:v1:${kidOf(KEY_B)}:`))).toBe(true);
    for (const value of values) for (const plaintext of [hook.secret, hook.oldSecret, totpUser.secret, pendingSecret]) expect(value).not.toContain(plaintext);
    await stop();

    await start({ SECRETS_KEY: KEY_B });
    await deliversSigned('under B alone');
    expect((await totpLogin()).errors).toBeUndefined();
    await stop();
  }, 180_000);

  it('a server whose keys sealed nothing in the store starts, and refuses clearly what needs a secret', async () => {
    await start({ SECRETS_KEY: KEY_C });
    // Said at start, naming the keys the store needs (by id, never the keys themselves).
    expect(logs.some((line) => /stored secrets are sealed under keys this node does not have/.test(line.msg))).toBe(true);
    const login = await totpLogin();
    expect(login.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'SECRET_UNREADABLE' });
    await ok(t!.graphqlUrl, SendMessageDocument, { sessionId, content: 'under an unknown key' }, customer.token);
    await until(async () => (await lastError(hook.id)) === 'SECRET_UNREADABLE', 'the delivery failing as SECRET_UNREADABLE');
    expect(logs.some((line) => /^webhook not sent: a stored secret is sealed under key [0-9a-f]{8}, which is neither SECRETS_KEY nor SECRETS_PREVIOUS_KEY/.test(line.msg))).toBe(true);
    expect(receiver.received.some((h) => (h.json.data as { message?: { content?: string } }).message?.content === 'under an unknown key')).toBe(false);
    // The rest of the service works, and rotate-secrets refuses rather than guess.
    expect((await ok(t!.graphqlUrl, MeDocument, {}, admin.token)).me?.username).toBe('admin');
    await expect(parseAdminCommand(['rotate-secrets']).run({ ...t!.server.deps, orm: t!.server.orm })).rejects.toThrow(/5 could not be opened with SECRETS_KEY or SECRETS_PREVIOUS_KEY/);
  }, 120_000);
});
