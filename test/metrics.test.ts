import { parse } from 'graphql';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, SendMessageDocument, SetTypingDocument, StatsDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { usingPostgres } from './helpers/database.js';
import { assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, untilLive, wsClient } from './helpers/subscriptions.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE})(?:,[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE})*,?)?\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = new RegExp(`([a-zA-Z_][a-zA-Z0-9_]*)=(${LABEL_VALUE})`, 'g');
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * A strict reader of the Prometheus text exposition format (0.0.4): every line is a HELP or TYPE
 * comment or a sample, every sample belongs to a family declared with TYPE, values are numbers.
 * Throws on the first line that breaks the format.
 */
function parsePrometheus(text: string): Sample[] {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!comment) throw new Error(`bad comment line: ${line}`);
      if (comment[1] === 'TYPE') {
        if (!TYPES.has(comment[3]!)) throw new Error(`bad type: ${line}`);
        if (types.has(comment[2]!)) throw new Error(`TYPE declared twice: ${line}`);
        types.set(comment[2]!, comment[3]!);
      }
      continue;
    }
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`bad sample line: ${line}`);
    const [, name, labelText, rawValue] = match;
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any letter case (prom-client writes `Nan`).
    const special = /^([+-]?)(inf|nan)$/i.exec(rawValue!);
    const value = special ? (special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity) : Number(rawValue);
    if (!special && (rawValue === '' || Number.isNaN(value))) throw new Error(`bad value: ${line}`);
    const family = name!.replace(/_(bucket|sum|count|total|created)$/, '');
    if (!types.has(name!) && !types.has(family)) throw new Error(`sample without TYPE: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, quoted] of (labelText ?? '').matchAll(LABEL)) labels[key!] = JSON.parse(quoted!) as string;
    samples.push({ name: name!, labels, value });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found?.value ?? 0;
}

async function scrape(t: TestServer): Promise<{ response: Response; samples: Sample[]; text: string }> {
  const response = await fetch(`${t.url}/metrics`);
  const text = await response.text();
  return { response, samples: parsePrometheus(text), text };
}

describe('GET /metrics', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('serves valid Prometheus text with every Parley metric family declared', async () => {
    const { response, text } = await scrape(t);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const family of [
      'parley_http_request_duration_seconds',
      'parley_graphql_operation_duration_seconds',
      'parley_websocket_connections',
      'parley_subscriptions',
      'parley_events_published_total',
      'parley_events_delivered_total',
      'parley_rate_limit_rejections_total',
      'parley_staff_polling_requests_total',
      'parley_db_pool_connections',
      'parley_process_resident_memory_bytes',
    ]) {
      expect(text).toMatch(new RegExp(`^# TYPE ${family} `, 'm'));
    }
  });

  it('counts GraphQL operations by root field and type, and HTTP requests by route pattern, as a send scenario runs', async () => {
    const admin = await loginAdmin(t);
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    const owner = await userWithRole(t, admin, UserRole.USER);
    const sessionId = await assignedSession(t, admin, owner, staff);
    const before = (await scrape(t)).samples;

    for (let i = 0; i < 3; i++) await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: `message ${i}` }, owner.token);
    await ok(t.graphqlUrl, StatsDocument, {}, admin.token);
    await gql(t.graphqlUrl, 'query NameChosenByTheClient { me { id } }', {}, owner.token);
    await gql(t.graphqlUrl, 'query { notAField }');
    await fetch(`${t.url}/no/such/path/12345`);

    const after = (await scrape(t)).samples;
    const grew = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    const op = 'parley_graphql_operation_duration_seconds_count';
    expect(grew(op, { operation: 'sendMessage', type: 'mutation' })).toBe(3);
    expect(grew(op, { operation: 'stats', type: 'query' })).toBe(1);
    // The client-chosen operation name never becomes a label; the schema's root field does.
    expect(grew(op, { operation: 'me', type: 'query' })).toBe(1);
    expect(after.some((s) => Object.values(s.labels).includes('NameChosenByTheClient'))).toBe(false);
    expect(grew(op, { operation: 'invalid', type: 'unknown' })).toBe(1);
    expect(grew('parley_graphql_operation_duration_seconds_sum', { operation: 'sendMessage', type: 'mutation' })).toBeGreaterThan(0);

    const http = 'parley_http_request_duration_seconds_count';
    expect(grew(http, { method: 'POST', route: '/graphql', status: '200' })).toBeGreaterThanOrEqual(5);
    // A scrape is itself a request: the one before this check was counted.
    expect(grew(http, { method: 'GET', route: '/metrics', status: '200' })).toBe(1);
    // Unknown paths share one label; raw paths (with their ids) never appear.
    expect(grew(http, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(after.some((s) => Object.values(s.labels).some((v) => v.includes('12345')))).toBe(false);
  });

  it('reports the database pool: connections by state on PostgreSQL, the single embedded connection on PGlite', async () => {
    const { samples } = await scrape(t);
    const pool = (state: string) => samples.find((s) => s.name === 'parley_db_pool_connections' && s.labels.state === state)?.value;
    if (usingPostgres()) {
      expect(pool('max')).toBe(10);
      expect(pool('used')! + pool('free')!).toBeGreaterThanOrEqual(1);
      expect(pool('pending')).toBe(0);
    } else {
      expect(pool('max')).toBe(1);
      expect(pool('used')).toBeUndefined();
    }
  });

  it('exposes the staff polling counter for the seed 000 route to increment', async () => {
    t.server.metrics.staffPolls.inc();
    const { samples } = await scrape(t);
    expect(value(samples, 'parley_staff_polling_requests_total', {})).toBe(1);
  });

  it('labels subscriptions by their schema field, never by a client alias (no series a client can invent)', async () => {
    const admin = await loginAdmin(t);
    const owner = await userWithRole(t, admin, UserRole.USER);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'metrics' }, owner.token);
    const client = wsClient(t.url, owner.token);
    const aliased = subscribe(client, parse(`subscription { anyLabel123: typing(sessionId: "${createSession.id}") { isTyping } }`) as never, {});
    await untilLive(
      aliased,
      () => ok(t.graphqlUrl, SetTypingDocument, { sessionId: createSession.id, isTyping: false }, owner.token),
      () => true,
    );
    const { samples } = await scrape(t);
    expect(samples.some((s) => Object.values(s.labels).includes('anyLabel123'))).toBe(false);
    expect(value(samples, 'parley_subscriptions', { field: 'typing' })).toBe(1);
    aliased.stop();
    await client.dispose();
  });
});
