import { parse } from 'csv-parse/sync';
import { EXPORT_BATCH_ROWS } from '../src/exports/reports.js';
import { UserRole } from '../src/shared/enums.js';
import {
  AssignAgentDocument,
  CloseSessionDocument,
  CreateSessionDocument,
  DeleteVersionedDocument,
  ExportReportDocument,
  RateSessionDocument,
  type ReportKind,
  SendNoteDocument,
  SignOutEverywhereDocument,
  TeamStatsDocument,
} from './generated/graphql.js';
import { errorCode, gql, ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

type Row = Record<string, string>;

const HYPERLINK = '=HYPERLINK("http://evil","x")';
const TRICKY = 'a, b and "quoted"\r\nsecond line\nthird';

/**
 * Report exports: an admin asks `exportReport` for a signed link, downloads the CSV with a
 * plain GET, and gets exactly the tenant's rows of the range, RFC 4180 and formula-safe. Nobody
 * else gets a link; a tampered, expired or revoked link gets nothing.
 */
describe('report exports', () => {
  let t: TestServer;
  let admin: Actor;
  let staff: Actor;
  let customer: Actor;
  let sessionId: string;
  let from: string;
  let to: string;
  const ids: Record<string, string> = {};

  const send = async (content: string, token: string, isPrivate = false) => (await ok(t.graphqlUrl, SendNoteDocument, { sessionId, content, private: isPrivate }, token)).sendMessage.message.id;

  async function link(kind: ReportKind, token = admin.token, range = { from, to }): Promise<string> {
    const { exportReport } = await ok(t.graphqlUrl, ExportReportDocument, { kind, ...range }, token);
    expect(new Date(exportReport.expiresAt).getTime()).toBeGreaterThan(Date.now());
    return exportReport.url;
  }

  const download = (url: string) => fetch(url.startsWith('/') ? `${t.url}${url}` : url);

  async function csv(kind: ReportKind, token = admin.token, range = { from, to }): Promise<{ rows: Row[]; body: string; response: Response }> {
    const response = await download(await link(kind, token, range));
    const body = await response.text();
    expect(response.status).toBe(200);
    return { rows: parse(body, { columns: true, record_delimiter: '\r\n' }) as Row[], body, response };
  }

  const refusal = async (response: Response) => ({ status: response.status, body: (await response.json()) as { error: { code: string; reason: string } } });

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    customer = await userWithRole(t, admin, UserRole.USER);
    from = new Date(Date.now() - 60_000).toISOString();
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'Refund, "urgent"', tags: ['billing', 'vip'] }, customer.token);
    sessionId = createSession.id;
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId, agentId: staff.userId }, admin.token);
    ids.plain = await send('Hello there', customer.token);
    ids.hyperlink = await send(HYPERLINK, customer.token);
    ids.tricky = await send(TRICKY, staff.token);
    ids.minus = await send('-1+2', customer.token);
    ids.at = await send('@SUM(A1)', customer.token);
    ids.note = await send('internal remark', staff.token, true);
    ids.deleted = await send('regret this', customer.token);
    await ok(t.graphqlUrl, DeleteVersionedDocument, { messageId: ids.deleted }, customer.token);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId }, admin.token);
    await ok(t.graphqlUrl, RateSessionDocument, { sessionId, score: 4, comment: '=cmd|calc' }, customer.token);
    to = new Date(Date.now() + 60_000).toISOString();
  });
  afterAll(() => t.dispose());

  it('serves the messages of the range as a CSV download with protective headers', async () => {
    const { rows, body, response } = await csv('MESSAGES');
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const name = `parley-messages-${from.replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}-${to.replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}.csv`;
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${name}"`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // Counted by the rate limiter.
    expect(response.headers.get('ratelimit')).toMatch(/^limit=\d+, remaining=\d+, reset=\d+$/);

    expect(body.startsWith('id,uuid,session_id,created_at,edited_at,deleted_at,sender_type,sender_user_id,sender_name,private,automatic,attachments,content\r\n')).toBe(true);
    expect(body.endsWith('\r\n')).toBe(true);
    expect(rows.map((row) => row.id)).toEqual(Object.values(ids));
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(ids.plain)).toMatchObject({ session_id: sessionId, sender_type: 'USER', sender_user_id: customer.userId, private: 'false', content: 'Hello there' });
    expect(byId.get(ids.tricky)).toMatchObject({ sender_type: 'SUPPORT', sender_user_id: staff.userId, content: TRICKY });
    expect(byId.get(ids.minus)!.content).toBe("'-1+2");
    expect(byId.get(ids.at)!.content).toBe("'@SUM(A1)");
    expect(byId.get(ids.note)).toMatchObject({ private: 'true', content: 'internal remark' });
    expect(byId.get(ids.deleted)!.content).toBe('');
    expect(byId.get(ids.deleted)!.deleted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(new Date(byId.get(ids.plain)!.created_at).getTime()).toBeGreaterThanOrEqual(new Date(from).getTime());
  });

  it('escapes a cell starting with = so a spreadsheet shows it as text, correctly quoted', async () => {
    const { rows, body } = await csv('MESSAGES');
    expect(body).toContain(`,"'=HYPERLINK(""http://evil"",""x"")"\r\n`);
    expect(rows.find((row) => row.id === ids.hyperlink)!.content).toBe(`'${HYPERLINK}`);
  });

  it('serves the sessions started in the range, with customer, agent, counts and rating', async () => {
    const { rows } = await csv('SESSIONS');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: sessionId,
      status: 'CLOSED',
      priority: 'MEDIUM',
      subject: 'Refund, "urgent"',
      tags: 'billing;vip',
      customer_user_id: customer.userId,
      agent_id: staff.userId,
      messages: '6',
      private_notes: '1',
      rating: '4',
      rating_comment: "'=cmd|calc",
    });
    expect(rows[0]!.ended_at).not.toBe('');
    expect(Number(rows[0]!.first_response_ms)).toBeGreaterThanOrEqual(0);
  });

  it('serves per-agent numbers equal to stats(from, to)', async () => {
    const { rows } = await csv('AGENTS');
    const { stats } = await ok(t.graphqlUrl, TeamStatsDocument, { from, to }, admin.token);
    expect(rows.map((row) => row.agent_id)).toEqual(stats.agents.map((a) => a.agent.id));
    const mine = stats.agents.find((a) => a.agent.id === staff.userId)!;
    const row = rows.find((r) => r.agent_id === staff.userId)!;
    expect(row).toMatchObject({
      username: mine.agent.username,
      sessions_handled: String(mine.sessionsHandled),
      sessions_resolved: String(mine.sessionsResolved),
      first_response_count: String(mine.firstResponseTime.count),
      csat_count: '1',
      csat_average: '4',
    });
    expect(Number(row.first_response_mean_ms)).toBeCloseTo(mine.firstResponseTime.meanMs!, 3);
  });

  it('leaves out what is outside [from, to)', async () => {
    const { rows } = await csv('MESSAGES', admin.token, { from: to, to: new Date(Date.parse(to) + 60_000).toISOString() });
    expect(rows).toEqual([]);
    const { body } = await csv('SESSIONS', admin.token, { from: new Date(Date.parse(from) - 3_600_000).toISOString(), to: from });
    expect(body).toBe(
      'id,uuid,status,priority,subject,tags,customer_user_id,customer_name,customer_email,agent_id,agent_name,started_at,ended_at,first_response_at,first_response_ms,messages,private_notes,rating,rating_comment\r\n',
    );
  });

  it(`reads past one batch (${EXPORT_BATCH_ROWS} rows) without losing or repeating rows that share a timestamp`, async () => {
    const em = t.server.orm.em.fork();
    const count = EXPORT_BATCH_ROWS * 2 + 345;
    // All in one microsecond-precise instant, so the keyset must order by id within it.
    await em.execute(
      `insert into chat_messages (uuid, tenant_id, session_id, sender_id, sender_type, content, metadata, created_at)
       select gen_random_uuid(), s.tenant_id, s.id, null, 'SYSTEM', 'bulk ' || g, '{}', timestamptz '2025-03-01 12:00:00.123456+00'
         from chat_sessions s, generate_series(1, ?) g where s.id = ?`,
      [count, sessionId],
    );
    const { rows } = await csv('MESSAGES', admin.token, { from: '2025-03-01T12:00:00.000Z', to: '2025-03-01T12:00:01.000Z' });
    expect(rows).toHaveLength(count);
    const numbers = rows.map((row) => BigInt(row.id!));
    expect(new Set(numbers).size).toBe(count);
    expect(numbers.every((id, i) => i === 0 || id > numbers[i - 1]!)).toBe(true);
    expect(rows.every((row) => row.sender_name === 'System' && row.created_at === '2025-03-01T12:00:00.123Z')).toBe(true);
  });

  it('refuses staff, customers, guests and anonymous callers', async () => {
    const vars = { kind: 'MESSAGES' as const, from, to };
    expect(await errorCode(t.graphqlUrl, ExportReportDocument, vars, staff.token)).toBe('FORBIDDEN');
    expect(await errorCode(t.graphqlUrl, ExportReportDocument, vars, customer.token)).toBe('FORBIDDEN');
    expect(await errorCode(t.graphqlUrl, ExportReportDocument, vars, (await guestSession(t)).token)).toBe('FORBIDDEN');
    expect(await errorCode(t.graphqlUrl, ExportReportDocument, vars)).toBe('UNAUTHENTICATED');
  });

  it('validates the range and refuses the SLA report until SLA policies exist', async () => {
    const refused = async (kind: ReportKind, range: { from: string; to: string }) => (await gql(t.graphqlUrl, ExportReportDocument, { kind, ...range }, admin.token)).errors?.[0]?.extensions;
    expect(await refused('MESSAGES', { from: to, to: from })).toMatchObject({ code: 'BAD_USER_INPUT', fields: { to: 'to must be later than from' } });
    expect(await refused('MESSAGES', { from, to: from })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await refused('SESSIONS', { from: '2024-01-01T00:00:00Z', to: '2025-01-02T00:00:01Z' })).toMatchObject({ code: 'BAD_USER_INPUT', fields: { to: 'An export covers at most 366 days' } });
    expect((await refused('SESSIONS', { from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' })) ?? null).toBeNull();
    expect(await refused('SLA', { from, to })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'REPORT_NOT_AVAILABLE' });
  });

  it("gives another tenant's admin none of our rows", async () => {
    const foreign = await foreignTenantAdmin(t);
    for (const kind of ['MESSAGES', 'SESSIONS', 'AGENTS'] as const) {
      const { rows } = await csv(kind, foreign.token);
      expect(rows).toEqual([]);
    }
  });

  it('refuses a tampered, malformed or expired link with a JSON error', async () => {
    const url = await link('MESSAGES');
    const [, token] = /\/exports\/(.+)\.csv$/.exec(url)!;
    const [header, payload, signature] = token!.split('.') as [string, string, string];
    // Another tenant, same signature.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, tid: '999' })).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    for (const path of [`/exports/${header}.${forged}.${signature}.csv`, `/exports/${header}.${payload}.${flipped}.csv`, '/exports/nothing.csv', `/exports/${token}.txt`]) {
      const { status, body } = await refusal(await download(path));
      expect([status, body.error.code, body.error.reason]).toEqual([403, 'FORBIDDEN', 'INVALID_EXPORT_LINK']);
    }
    // A bearer access token is no export link.
    expect((await refusal(await download(`/exports/${admin.token}.csv`))).body.error.reason).toBe('INVALID_EXPORT_LINK');

    const expired = await t.server.deps.tokens.issueExportToken(
      { sub: admin.userId, tid: t.server.defaultTenantId, ver: claims.ver as number, kind: 'MESSAGES', from: Date.parse(from), to: Date.parse(to) },
      -60,
    );
    const { status, body } = await refusal(await download(`/exports/${expired}.csv`));
    expect([status, body.error.reason]).toEqual([403, 'EXPORT_LINK_EXPIRED']);
  });

  it('stops working once its admin signs out everywhere, or is an admin no longer', async () => {
    const second = await userWithRole(t, admin, UserRole.ADMIN);
    const before = await link('SESSIONS', second.token);
    expect((await download(before)).status).toBe(200);
    await ok(t.graphqlUrl, SignOutEverywhereDocument, {}, second.token);
    expect((await refusal(await download(before))).status).toBe(403);

    const third = await userWithRole(t, admin, UserRole.ADMIN);
    const demoted = await link('SESSIONS', third.token);
    await t.server.orm.em.fork().execute('update users set role = ? where id = ?', [UserRole.STAFF, third.userId]);
    const { status, body } = await refusal(await download(demoted));
    expect([status, body.error.reason]).toEqual([403, 'ADMIN_ONLY']);
  });
});
