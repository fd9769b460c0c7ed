import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { propagation, trace } from '@opentelemetry/api';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/observability/logger.js';
import { startTelemetry } from '../src/observability/telemetry.js';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, CreateUserDocument, CreateWebhookDocument, LoginDocument, SendMessageDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { createTestDatabase, type TestDatabase, usingPostgres } from './helpers/database.js';
import { databaseTemplate } from './helpers/database-template.js';
import { PASSWORD } from './helpers/fixtures.js';
import { type OtlpReceiver, type ReceivedSpan, SPAN_KIND, startOtlpReceiver } from './helpers/otlp-receiver.js';
import { type ServerProcess, startServerProcess, within } from './helpers/process.js';
import { ADMIN_PASSWORD, JWT_SECRET, redisPrefixFor, startTestServer } from './helpers/server.js';
import { FAST_RETRIES, startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;
const hexId = (bytes: number) => randomBytes(bytes).toString('hex');
const scoped = (spans: ReceivedSpan[], traceId: string, scope: string) => spans.filter((span) => span.traceId === traceId && span.scope === scope);

describe('OpenTelemetry tracing to an OTLP endpoint', () => {
  let otlp: OtlpReceiver;
  let hooks: WebhookReceiver;
  let database: TestDatabase;
  let dataDir: string;
  let node: ServerProcess;
  let graphqlUrl: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    hooks = await startWebhookReceiver();
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'parley-otel-'));
    node = await startServerProcess({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      PGLITE_TEMPLATE: (await databaseTemplate())?.pglite ?? '',
      REDIS_URL: process.env.REDIS_URL ?? '',
      REDIS_PREFIX: redisPrefixFor(database),
      JWT_SECRET,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      RATE_LIMIT_MAX: '1000000',
      ...FAST_RETRIES,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_SERVICE_NAME: 'parley-under-test',
      // Nothing is exported on a timer during the test: the spans arrive through the shutdown flush.
      OTEL_BSP_SCHEDULE_DELAY: '3600000',
    });
    node.child.stdout!.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().split('\n').filter(Boolean)));
    graphqlUrl = `${node.url}/graphql`;
  }, 60_000);

  afterAll(async () => {
    if (node?.child.exitCode === null) node.child.kill('SIGKILL');
    await hooks?.close();
    await otlp?.close();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('continues an incoming traceparent through HTTP, GraphQL, PostgreSQL and Redis, logs its ids, sends traceparent on webhooks and flushes on SIGTERM', async () => {
    const { login: adminLogin } = await ok(graphqlUrl, LoginDocument, { username: 'admin', password: ADMIN_PASSWORD });
    await ok(graphqlUrl, CreateWebhookDocument, { url: hooks.url, events: ['message.created'] }, adminLogin.token);
    const username = `otel${hexId(4)}`;
    await ok(graphqlUrl, CreateUserDocument, { username, role: UserRole.USER, password: PASSWORD, email: `${username}@example.test` }, adminLogin.token);
    const { login } = await ok(graphqlUrl, LoginDocument, { username, password: PASSWORD });
    const { createSession } = await ok(graphqlUrl, CreateSessionDocument, { subject: 'traced' }, login.token);

    const traceId = hexId(16);
    const parentSpanId = hexId(8);
    const sent = await gql(graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'traced message' }, login.token, { traceparent: `00-${traceId}-${parentSpanId}-01` });
    expect(sent.errors).toBeUndefined();
    expect(sent.headers.get('x-trace-id')).toBe(traceId);

    // A caller without traceparent may name the trace with a W3C-shaped x-trace-id.
    const aliasTraceId = hexId(16);
    const aliased = await fetch(`${node.url}/nope`, { headers: { 'x-trace-id': aliasTraceId } });
    expect(aliased.headers.get('x-trace-id')).toBe(aliasTraceId);

    await hooks.waitFor((received) => received.length > 0, 'the message.created webhook');
    const delivered = hooks.received[0]!;
    const [, webhookTraceId, webhookParentId] = TRACEPARENT.exec(String(delivered.headers.traceparent)) ?? [];
    expect(webhookTraceId).toBeDefined();

    // The access line of the traced request carries its trace and span ids.
    const accessLine = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === 'request' && entry.path === '/graphql' && entry.trace_id === traceId);
    expect(accessLine).toBeDefined();
    expect(accessLine!.span_id).toMatch(/^[0-9a-f]{16}$/);

    // Spans wait for the next batch (an hour away): only the drain on SIGTERM exports them.
    expect(otlp.requests).toBe(0);
    node.child.kill('SIGTERM');
    expect(await within(node.exited, 20_000, 'the server exiting on SIGTERM')).toBe(0);
    await otlp.waitFor((spans) => spans.some((span) => span.traceId === webhookTraceId), 'the exported spans', 10_000);

    const spans = otlp.spans;
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['parley-under-test']));
    const server = scoped(spans, traceId, '@opentelemetry/instrumentation-http').find((span) => span.kind === SPAN_KIND.SERVER);
    // Express names the server span by its route.
    expect(server).toMatchObject({ name: 'POST /graphql', parentSpanId, attributes: expect.objectContaining({ 'http.request.method': 'POST', 'http.route': '/graphql' }) });
    const graphql = scoped(spans, traceId, '@opentelemetry/instrumentation-graphql').map((span) => span.name);
    expect(graphql).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', expect.stringMatching(/^mutation\b/), 'graphql.resolve sendMessage']));
    // Resolver spans for root fields only, not one per field of the message returned.
    expect(graphql.filter((name) => name.startsWith('graphql.resolve '))).toEqual(['graphql.resolve sendMessage']);
    if (usingPostgres()) expect(scoped(spans, traceId, '@opentelemetry/instrumentation-pg').length).toBeGreaterThan(0);
    if (process.env.REDIS_URL) expect(scoped(spans, traceId, '@opentelemetry/instrumentation-ioredis').length).toBeGreaterThan(0);
    expect(scoped(spans, aliasTraceId, '@opentelemetry/instrumentation-http').some((span) => span.kind === SPAN_KIND.SERVER)).toBe(true);

    // The webhook's traceparent names the HTTP client span (node:http patched in ESM) of the delivery's own trace.
    const delivery = scoped(spans, webhookTraceId!, 'parley-webhooks');
    expect(delivery).toMatchObject([{ name: 'webhook message.created', kind: SPAN_KIND.INTERNAL }]);
    const client = scoped(spans, webhookTraceId!, '@opentelemetry/instrumentation-http');
    expect(client).toMatchObject([{ kind: SPAN_KIND.CLIENT, spanId: webhookParentId, parentSpanId: delivery[0]!.spanId }]);
  }, 90_000);
});

describe('OpenTelemetry tracing without an endpoint', () => {
  const base = { NODE_ENV: 'test', JWT_SECRET, DATABASE_URL: 'memory://' };

  it('starts no SDK: nothing is registered with the OpenTelemetry API', async () => {
    expect(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }).tracing.endpoint).toBeNull();
    expect(loadConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }).tracing.endpoint).toBe('http://127.0.0.1:4318/v1/traces');
    expect(await startTelemetry(loadConfig(base).tracing)).toBeNull();
    const span = trace.getTracer('probe').startSpan('probe');
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toBe('00000000000000000000000000000000');
    expect(propagation.fields()).toEqual([]);
  });

  it('still gives every request a W3C trace id (continuing traceparent) on x-trace-id and on each log line, and echoes an alias', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const t = await startTestServer({ logger: createLogger('info', sink) });
    try {
      const traceId = hexId(16);
      const continued = await fetch(`${t.url}/nope`, { headers: { traceparent: `00-${traceId}-${hexId(8)}-01` } });
      expect(continued.headers.get('x-trace-id')).toBe(traceId);
      const fresh = await fetch(`${t.url}/nope`);
      expect(fresh.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
      const alias = await fetch(`${t.url}/nope`, { headers: { 'x-trace-id': 'order-4711-trace' } });
      expect(alias.headers.get('x-trace-id')).toBe('order-4711-trace');
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'request');
      expect(entries.find((entry) => entry.trace_id === traceId)?.span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(entries.find((entry) => entry.trace_alias === 'order-4711-trace')?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await t.dispose();
    }
  });
});
