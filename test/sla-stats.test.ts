import { parse } from 'csv-parse/sync';
import { UserRole } from '../src/shared/enums.js';
import { CloseSessionDocument, CreateSlaPolicyDocument, ExportReportDocument, SendMessageDocument, SessionSlaDocument, SlaStatsDocument } from './generated/graphql.js';
import { errorCode, ok } from './helpers/client.js';
import { type Actor, assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { slaTools } from './helpers/sla.js';

/**
 * SLA attainment in `stats` and the SLA export (docs/desk.md): real policies and sessions whose
 * history is moved back in time so clocks pass, counted per clock cycle (a first response, each
 * next-response wait, a resolution) decided in the range, and checked against what
 * `Session.sla.breaches` says and against each other.
 */
let t: TestServer;
let admin: Actor;
let agentA: Actor;
let agentB: Actor;
let customer: Actor;
const sessions: Record<'s1' | 's2' | 's3', string> = { s1: '', s2: '', s3: '' };
let from: string;
let to: string;

const { age, wake, alerted, evaluated } = slaTools(() => t);
const say = (sessionId: string, who: Actor, content: string) => ok(t.graphqlUrl, SendMessageDocument, { sessionId, content }, who.token);
const attainment = (metric: string, met: number, breached: number) => ({ metric, met, breached, ratio: met + breached === 0 ? null : met / (met + breached) });

beforeAll(async () => {
  t = await startTestServer({ env: { REACTIONS_POLL_INTERVAL_MS: '50' } });
  admin = await loginAdmin(t);
  agentA = await userWithRole(t, admin, UserRole.STAFF);
  agentB = await userWithRole(t, admin, UserRole.STAFF);
  customer = await userWithRole(t, admin, UserRole.USER);
  from = new Date(Date.now() - 10 * 60_000).toISOString();
  await ok(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Standard', firstResponseSeconds: 100, nextResponseSeconds: 100, resolutionSeconds: 7200, businessHoursOnly: false }, admin.token);

  // s1 (agent A): the first response breaches; the next wait is answered at once; closed in time.
  sessions.s1 = await assignedSession(t, admin, customer, agentA);
  await say(sessions.s1, customer, 'hello?');
  await age(sessions.s1, 150);
  await alerted(sessions.s1, 'sla.breached', 'FIRST_RESPONSE');
  await say(sessions.s1, agentA, 'sorry, here now');
  await say(sessions.s1, customer, 'one more thing');
  await say(sessions.s1, agentA, 'sure');
  await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: sessions.s1 }, admin.token);

  // s2 (agent B): answered at once, then a wait that breaches; resolution still running.
  sessions.s2 = await assignedSession(t, admin, customer, agentB);
  await say(sessions.s2, customer, 'hi');
  await say(sessions.s2, agentB, 'hello!');
  await say(sessions.s2, customer, 'are you there?');
  await age(sessions.s2, 150);
  await alerted(sessions.s2, 'sla.breached', 'NEXT_RESPONSE');

  // s3 (agent A): just opened, every clock running.
  sessions.s3 = await assignedSession(t, admin, customer, agentA);
  for (const id of Object.values(sessions)) {
    await wake(id);
    await evaluated(id);
  }
  to = new Date(Date.now() + 60 * 60_000).toISOString();
});
afterAll(() => t.dispose());

describe('SLA attainment in stats', () => {
  it('counts each cycle decided in the range as met or breached, per metric and per agent; running clocks are not counted', async () => {
    const { stats } = await ok(t.graphqlUrl, SlaStatsDocument, { from, to }, admin.token);
    expect(stats.slaAttainment).toEqual([attainment('FIRST_RESPONSE', 1, 1), attainment('NEXT_RESPONSE', 1, 1), attainment('RESOLUTION', 1, 0)]);
    const byAgent = new Map(stats.agents.map((agent) => [agent.agent.id, agent.slaAttainment]));
    expect(byAgent.get(agentA.userId)).toEqual([attainment('FIRST_RESPONSE', 0, 1), attainment('NEXT_RESPONSE', 1, 0), attainment('RESOLUTION', 1, 0)]);
    expect(byAgent.get(agentB.userId)).toEqual([attainment('FIRST_RESPONSE', 1, 0), attainment('NEXT_RESPONSE', 0, 1), attainment('RESOLUTION', 0, 0)]);

    // One agent's sessions only.
    const onlyB = (await ok(t.graphqlUrl, SlaStatsDocument, { from, to, agentId: agentB.userId }, admin.token)).stats;
    expect(onlyB.slaAttainment).toEqual(byAgent.get(agentB.userId));
  });

  it('agrees with Session.sla.breaches for the same sessions', async () => {
    const breaches = new Map<string, number>();
    for (const id of Object.values(sessions)) {
      const { session } = await ok(t.graphqlUrl, SessionSlaDocument, { id }, admin.token);
      for (const breach of session.sla?.breaches ?? []) breaches.set(breach.metric, (breaches.get(breach.metric) ?? 0) + 1);
    }
    const { stats } = await ok(t.graphqlUrl, SlaStatsDocument, { from, to }, admin.token);
    expect(Object.fromEntries(stats.slaAttainment.map((value) => [value.metric, value.breached]))).toEqual({
      FIRST_RESPONSE: breaches.get('FIRST_RESPONSE') ?? 0,
      NEXT_RESPONSE: breaches.get('NEXT_RESPONSE') ?? 0,
      RESOLUTION: breaches.get('RESOLUTION') ?? 0,
    });
  });

  it('is empty, with null ratios, over a range in which nothing was decided', async () => {
    const later = { from: new Date(Date.now() + 60_000).toISOString(), to: new Date(Date.now() + 120_000).toISOString() };
    const { stats } = await ok(t.graphqlUrl, SlaStatsDocument, later, admin.token);
    expect(stats.slaAttainment).toEqual([attainment('FIRST_RESPONSE', 0, 0), attainment('NEXT_RESPONSE', 0, 0), attainment('RESOLUTION', 0, 0)]);
    expect(await errorCode(t.graphqlUrl, SlaStatsDocument, { from, to }, agentA.token)).toBe('FORBIDDEN');
  });
});

describe('the SLA export', () => {
  it('has one row per cycle decided or running in the range, consistent with stats', async () => {
    const { exportReport } = await ok(t.graphqlUrl, ExportReportDocument, { kind: 'SLA', from, to }, admin.token);
    const response = await fetch(`${t.url}${exportReport.url}`);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body.startsWith('session_id,reference,priority,policy,metric,cycle,started_at,stopped_at,due_at,state,breached_at,agent_id,agent_name\r\n')).toBe(true);
    const rows = parse(body, { columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
    const summary = rows.map((row) => [row.session_id, row.metric, row.state, row.agent_id]);
    expect(summary).toEqual([
      [sessions.s1, 'FIRST_RESPONSE', 'breached', agentA.userId],
      [sessions.s1, 'NEXT_RESPONSE', 'met', agentA.userId],
      [sessions.s1, 'RESOLUTION', 'met', agentA.userId],
      [sessions.s2, 'FIRST_RESPONSE', 'met', agentB.userId],
      [sessions.s2, 'NEXT_RESPONSE', 'breached', agentB.userId],
      [sessions.s2, 'RESOLUTION', 'running', agentB.userId],
      [sessions.s3, 'FIRST_RESPONSE', 'running', agentA.userId],
      [sessions.s3, 'RESOLUTION', 'running', agentA.userId],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ priority: 'MEDIUM', policy: 'Standard', reference: '' });
      if (row.state === 'breached') {
        expect(row.breached_at).toBe(row.due_at);
        expect(Date.parse(row.breached_at!)).toBe(Date.parse(row.started_at!) + 100_000);
      } else expect(row.breached_at).toBe('');
      if (row.state === 'met') expect(Date.parse(row.stopped_at!)).toBeLessThan(Date.parse(row.due_at!));
      if (row.state === 'running') expect(row.stopped_at).toBe('');
    }
    const s1Breach = (await ok(t.graphqlUrl, SessionSlaDocument, { id: sessions.s1 }, admin.token)).session.sla?.breaches[0];
    expect(rows[0]!.breached_at).toBe(s1Breach?.at);
    // The next-response cycle is named by the customer message that opened the wait.
    expect(rows[1]!.cycle).toBe(rows[1]!.started_at);

    const { stats } = await ok(t.graphqlUrl, SlaStatsDocument, { from, to }, admin.token);
    for (const value of stats.slaAttainment) {
      expect([value.met, value.breached]).toEqual([
        rows.filter((row) => row.metric === value.metric && row.state === 'met').length,
        rows.filter((row) => row.metric === value.metric && row.state === 'breached').length,
      ]);
    }
  });
});
