import { UserRole } from '../src/shared/enums.js';
import {
  AssignAgentDocument,
  CloseSessionDocument,
  CreateSessionDocument,
  RateSessionDocument,
  SendMessageDocument,
  SendNoteDocument,
  StatsDocument,
  StatsUpdatedDocument,
  TeamStatsDocument,
  type TeamStatsQuery,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { clusterAvailable, skipReason, startCluster } from './helpers/cluster.js';
import { type Actor, foreignTenantAdmin, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { seededRandom, testSeed } from './helpers/random.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';

type Numbers = Omit<TeamStatsQuery['stats']['agents'][number], 'agent'>;

interface SessionRow {
  id: string;
  agent_id: string | null;
  status: string;
  started_ms: number;
  ended_ms: number | null;
  score: number | null;
}

interface MessageRow {
  session_id: string;
  id: string;
  sender_type: string;
  private: boolean;
  created_ms: number;
}

/** percentile_cont(0.5): the middle value, or the mean of the two middle values. */
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
const mean = (values: number[]): number | null => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null);
const durations = (values: number[]) => ({ count: values.length, meanMs: mean(values), medianMs: median(values) });

/**
 * The brute force: every number from the raw rows, in JavaScript. First response per session
 * from the messages themselves: the first customer message opens the wait, the first support
 * reply after it that is not a private note ends it.
 */
function bruteForce(sessions: SessionRow[], messages: MessageRow[]): Numbers {
  const firstResponse: number[] = [];
  for (const session of sessions) {
    const own = messages.filter((m) => m.session_id === session.id).sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
    const opened = own.find((m) => m.sender_type === 'USER');
    const reply = opened && own.find((m) => m.sender_type === 'SUPPORT' && !m.private && BigInt(m.id) > BigInt(opened.id));
    if (opened && reply) firstResponse.push(reply.created_ms - opened.created_ms);
  }
  const closed = sessions.filter((s) => s.status === 'CLOSED');
  const scores = sessions.flatMap((s) => (s.score === null ? [] : [s.score]));
  return {
    sessionsHandled: sessions.filter((s) => s.agent_id !== null).length,
    sessionsResolved: closed.length,
    firstResponseTime: durations(firstResponse),
    resolutionTime: durations(closed.map((s) => s.ended_ms! - s.started_ms)),
    csat: { count: scores.length, average: mean(scores) },
  };
}

function expectNumbers(actual: Numbers, expected: Numbers): void {
  const close = (a: number | null | undefined, b: number | null) => {
    if (b === null) expect(a).toBeNull();
    else expect(a).toBeCloseTo(b, 3);
  };
  expect([actual.sessionsHandled, actual.sessionsResolved]).toEqual([expected.sessionsHandled, expected.sessionsResolved]);
  for (const key of ['firstResponseTime', 'resolutionTime'] as const) {
    expect(actual[key].count).toBe(expected[key].count);
    close(actual[key].meanMs, expected[key].meanMs);
    close(actual[key].medianMs, expected[key].medianMs);
  }
  expect(actual.csat.count).toBe(expected.csat.count);
  close(actual.csat.average, expected.csat.average);
}

const DAY = 86_400_000;

describe('team-lead stats', () => {
  let t: TestServer;
  let admin: Actor;
  let staff: Actor[];
  const seed = testSeed();
  /** The data set's sessions start on days 0–9 before this instant (shifted in the database). */
  const now = Date.now();

  async function rows(): Promise<{ sessions: SessionRow[]; messages: MessageRow[] }> {
    const connection = t.server.orm.em.fork().getConnection();
    const tenantId = t.server.defaultTenantId;
    const sessions = await connection.execute<Record<string, string | null>[]>(
      `select s.id, s.agent_id, s.status, extract(epoch from s.started_at) * 1000 as started_ms, extract(epoch from s.ended_at) * 1000 as ended_ms, r.score
         from chat_sessions s left join session_ratings r on r.session_id = s.id
        where s.tenant_id = ? and s.kind = 'SUPPORT'`,
      [tenantId],
    );
    const messages = await connection.execute<Record<string, string | boolean>[]>(
      `select m.session_id, m.id, m.sender_type, m.private, extract(epoch from m.created_at) * 1000 as created_ms
         from chat_messages m join chat_sessions s on s.id = m.session_id where s.tenant_id = ?`,
      [tenantId],
    );
    return {
      sessions: sessions.map((s) => ({
        id: String(s.id),
        agent_id: s.agent_id === null ? null : String(s.agent_id),
        status: String(s.status),
        started_ms: Number(s.started_ms),
        ended_ms: s.ended_ms === null ? null : Number(s.ended_ms),
        score: s.score === null ? null : Number(s.score),
      })),
      messages: messages.map((m) => ({
        session_id: String(m.session_id),
        id: String(m.id),
        sender_type: String(m.sender_type),
        private: m.private === true || m.private === 't',
        created_ms: Number(m.created_ms),
      })),
    };
  }

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    staff = [await userWithRole(t, admin, UserRole.STAFF), await userWithRole(t, admin, UserRole.STAFF), await userWithRole(t, admin, UserRole.STAFF)];
    const customers = [await userWithRole(t, admin, UserRole.USER), await userWithRole(t, admin, UserRole.USER)];
    const random = seededRandom(seed);
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;

    const sessions: { id: string; customer: string; agent: Actor | null }[] = [];
    for (let i = 0; i < 14; i++) {
      if (random() < 0.3) {
        const g = await guestSession(t);
        sessions.push({ id: g.sessionId, customer: g.token, agent: null });
      } else {
        const customer = pick(customers);
        const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, customer.token);
        sessions.push({ id: createSession.id, customer: customer.token, agent: null });
      }
      const session = sessions[sessions.length - 1]!;
      if (random() < 0.85) {
        session.agent = pick(staff);
        await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: session.id, agentId: session.agent.userId }, admin.token);
      }
    }
    for (let i = 0; i < 70; i++) {
      const session = pick(sessions);
      const roll = random();
      if (roll < 0.5 || !session.agent) {
        await ok(t.graphqlUrl, SendMessageDocument, { sessionId: session.id, content: `c${i}` }, session.customer);
      } else if (roll < 0.7) {
        // A private note: never a response.
        await ok(t.graphqlUrl, SendNoteDocument, { sessionId: session.id, content: `n${i}`, private: true }, session.agent.token);
      } else {
        await ok(t.graphqlUrl, SendMessageDocument, { sessionId: session.id, content: `s${i}` }, roll < 0.9 ? session.agent.token : admin.token);
      }
      if (random() < 0.3) await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(random() * 12)));
    }
    for (const session of sessions) {
      if (random() < 0.6) {
        await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: session.id }, admin.token);
        if (random() < 0.75) await ok(t.graphqlUrl, RateSessionDocument, { sessionId: session.id, score: 1 + Math.floor(random() * 5) }, session.customer);
      }
    }
    // Spread the sessions over ten days (whole sessions move: durations stay as they were).
    const connection = t.server.orm.em.fork().getConnection();
    for (const [index, session] of sessions.entries()) {
      const shift = `${(index % 10) * DAY + 60_000} milliseconds`;
      await connection.execute(`update chat_sessions set started_at = started_at - ?::interval, ended_at = ended_at - ?::interval, first_response_at = first_response_at - ?::interval where id = ?`, [
        shift,
        shift,
        shift,
        session.id,
      ]);
      await connection.execute(`update chat_messages set created_at = created_at - ?::interval where session_id = ?`, [shift, session.id]);
    }
  });
  afterAll(() => t.dispose());

  const stats = async (variables: { from?: string | null; to?: string | null; agentId?: string | null }, token = admin.token) => (await ok(t.graphqlUrl, TeamStatsDocument, variables, token)).stats;

  it(`overall and per agent equal a brute-force calculation over a randomized data set (seed ${seed})`, async () => {
    const { sessions, messages } = await rows();
    const actual = await stats({});
    expectNumbers(actual, bruteForce(sessions, messages));
    expect(actual.totalSessions).toBe(sessions.length);
    expect(actual.firstResponseTime.count).toBeGreaterThan(0);
    expect(actual.csat.count).toBeGreaterThan(0);

    const agentIds = [...new Set(sessions.flatMap((s) => (s.agent_id ? [s.agent_id] : [])))];
    expect(actual.agents.map((a) => a.agent.id).sort()).toEqual(agentIds.sort());
    for (const row of actual.agents) {
      const own = sessions.filter((s) => s.agent_id === row.agent.id);
      expectNumbers(row, bruteForce(own, messages));
    }
    // The migration's backfill of first_response_ms computes what sends keep on write.
    const backfill = await t.server.orm.em
      .fork()
      .getConnection()
      .execute<{ kept: number | null; backfill: number | null }[]>(
        `select s.first_response_ms as kept,
              (select m.response_ms from chat_messages m where m.session_id = s.id and m.response_ms is not null order by m.id limit 1) as backfill
         from chat_sessions s where s.tenant_id = ?`,
        [t.server.defaultTenantId],
      );
    for (const row of backfill) expect(row.kept === null ? null : Number(row.kept)).toBe(row.backfill === null ? null : Number(row.backfill));
    expect(backfill.some((row) => row.kept !== null)).toBe(true);
    // Most sessions handled first.
    const handled = actual.agents.map((a) => a.sessionsHandled);
    expect(handled).toEqual([...handled].sort((a, b) => b - a));
    // The seed's stats contract is unchanged alongside.
    const legacy = (await ok(t.graphqlUrl, StatsDocument, {}, admin.token)).stats;
    expect(legacy).toEqual({
      totalSessions: actual.totalSessions,
      activeSessions: actual.activeSessions,
      averageResponseTime: actual.averageResponseTime,
      messagesExchanged: actual.messagesExchanged,
    });
  });

  it('a range selects the sessions started in [from, to), and every number follows it', async () => {
    const { sessions, messages } = await rows();
    for (const [fromDays, toDays] of [
      [3, 0],
      [7, 2],
      [10.5, 9],
      [1000, 999],
    ] as const) {
      const from = new Date(now - fromDays * DAY);
      const to = new Date(now - toDays * DAY);
      const inRange = sessions.filter((s) => s.started_ms >= from.getTime() && s.started_ms < to.getTime());
      const actual = await stats({ from: from.toISOString(), to: to.toISOString() });
      expect([actual.from, actual.to]).toEqual([from.toISOString(), to.toISOString()]);
      expect(actual.totalSessions).toBe(inRange.length);
      expectNumbers(actual, bruteForce(inRange, messages));
      for (const row of actual.agents)
        expectNumbers(
          row,
          bruteForce(
            inRange.filter((s) => s.agent_id === row.agent.id),
            messages,
          ),
        );
    }
    // Open-ended ranges.
    const since = new Date(now - 4.5 * DAY);
    const after = await stats({ from: since.toISOString() });
    expect(after.totalSessions).toBe(sessions.filter((s) => s.started_ms >= since.getTime()).length);
    const before = await stats({ to: since.toISOString() });
    expect(before.totalSessions + after.totalSessions).toBe(sessions.length);
  });

  it("agentId selects one agent's sessions: the overall numbers are that agent's row", async () => {
    const { sessions, messages } = await rows();
    for (const agent of staff) {
      const actual = await stats({ agentId: agent.userId });
      const own = sessions.filter((s) => s.agent_id === agent.userId);
      expect(actual.totalSessions).toBe(own.length);
      expectNumbers(actual, bruteForce(own, messages));
      expect(actual.agents.map((a) => a.agent.id)).toEqual(own.length ? [agent.userId] : []);
    }
  });

  it("bad arguments are refused clearly; another tenant's agent is as missing as no agent; staff are FORBIDDEN", async () => {
    const refusal = async (variables: Record<string, unknown>, token = admin.token) => {
      const result = await gql(t.graphqlUrl, TeamStatsDocument, variables, token);
      return [result.errors?.[0]?.extensions?.code, result.errors?.[0]?.extensions?.reason];
    };
    const at = new Date(now).toISOString();
    expect(await refusal({ from: at, to: at })).toEqual(['BAD_USER_INPUT', 'INVALID_ARGUMENT']);
    expect(await refusal({ from: at, to: new Date(now - DAY).toISOString() })).toEqual(['BAD_USER_INPUT', 'INVALID_ARGUMENT']);
    expect((await refusal({ from: 'yesterday' }))[0]).toBe('BAD_USER_INPUT');
    expect(await refusal({ agentId: 'x' })).toEqual(['BAD_USER_INPUT', 'INVALID_ARGUMENT']);
    const foreign = await foreignTenantAdmin(t);
    expect(await refusal({ agentId: foreign.userId })).toEqual(await refusal({ agentId: '999999999' }));
    expect(await refusal({ agentId: '999999999' })).toEqual(['NOT_FOUND', 'AGENT_NOT_FOUND']);
    expect(await refusal({}, staff[0]!.token)).toEqual(['FORBIDDEN', 'ADMIN_ONLY']);
    // The foreign admin sees their own (empty) tenant, never ours.
    expect((await stats({}, foreign.token)).totalSessions).toBe(0);
  });

  it('statsUpdated pushes fresh numbers after changes, at most once a second (leading + trailing), ending on the latest', async () => {
    const customer = await userWithRole(t, admin, UserRole.USER);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, customer.token);
    const client = wsClient(t.url, admin.token);
    try {
      const updates = subscribe(client, StatsUpdatedDocument, {});
      // Live once a change is answered with an update (nothing is sent before the first change).
      for (let attempt = 0; updates.items.length === 0; attempt++) {
        expect(attempt).toBeLessThan(100);
        await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'probe' }, customer.token);
        await Promise.race([updates.count(1), new Promise((resolve) => setTimeout(resolve, 100))]);
      }
      // Let the probes' updates settle (no update for over a second, trailing ones included), then start counting.
      for (let seen = -1; seen !== updates.items.length; ) {
        seen = updates.items.length;
        await new Promise((resolve) => setTimeout(resolve, 1_300));
      }
      updates.items.length = 0;

      const started = Date.now();
      const burst = 25;
      for (let i = 0; i < burst; i++) {
        await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: `burst ${i}` }, customer.token);
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      const latest = await stats({});
      await updates.until((items) => items.at(-1)?.statsUpdated.messagesExchanged === latest.messagesExchanged, 'the latest numbers');
      const seconds = (Date.now() - started) / 1000;
      const count = updates.items.length;
      expect(count).toBeGreaterThanOrEqual(1);
      expect(count).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
      expect(count).toBeLessThan(burst);
      // The last update is the state after the last change, in full.
      expect(updates.items.at(-1)!.statsUpdated).toEqual(latest);
      updates.stop();
    } finally {
      await client.dispose();
    }
  });

  it('statsUpdated keeps its arguments: a range and an agent', async () => {
    const agent = staff[0]!;
    const customer = await userWithRole(t, admin, UserRole.USER);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, customer.token);
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: createSession.id, agentId: agent.userId }, admin.token);
    const from = new Date(now - 2 * DAY).toISOString();
    const client = wsClient(t.url, admin.token);
    try {
      const updates = subscribe(client, StatsUpdatedDocument, { from, agentId: agent.userId });
      let sent = 0;
      while (updates.items.length === 0) {
        expect(sent).toBeLessThan(100);
        await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: `m${sent++}` }, customer.token);
        await Promise.race([updates.count(1), new Promise((resolve) => setTimeout(resolve, 100))]);
      }
      await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: createSession.id }, admin.token);
      const expected = await stats({ from, agentId: agent.userId });
      await updates.until((items) => items.at(-1)?.statsUpdated.sessionsResolved === expected.sessionsResolved, 'the close');
      expect(updates.items.at(-1)!.statsUpdated).toEqual(expected);
      expect(expected.agents.map((a) => a.agent.id)).toEqual([agent.userId]);
      updates.stop();
    } finally {
      await client.dispose();
    }
  });

  it('statsUpdated refuses staff (FORBIDDEN) and bad arguments before anything is sent', async () => {
    const client = wsClient(t.url, staff[0]!.token);
    try {
      const refused = subscribe(client, StatsUpdatedDocument, {});
      expect((await refused.ended())?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await client.dispose();
    }
    const adminClient = wsClient(t.url, admin.token);
    try {
      const bad = subscribe(adminClient, StatsUpdatedDocument, { agentId: '999999999' });
      expect((await bad.ended())?.[0]?.extensions?.code).toBe('NOT_FOUND');
    } finally {
      await adminClient.dispose();
    }
  });
});

describe('statsUpdated across nodes (Redis)', () => {
  const available = clusterAvailable();
  skipReason(available, 'statsUpdated across nodes needs DATABASE_URL (PostgreSQL) and REDIS_URL');
  (available ? it : it.skip)('a change on node A updates a dashboard on node B', async () => {
    const cluster = await startCluster();
    try {
      const admin = await loginAdmin(cluster.a);
      const customer = await userWithRole(cluster.a, admin, UserRole.USER);
      const { createSession } = await ok(cluster.a.graphqlUrl, CreateSessionDocument, {}, customer.token);
      const client = wsClient(cluster.b.url, admin.token);
      try {
        const updates = subscribe(client, StatsUpdatedDocument, {});
        let sent = 0;
        while (updates.items.length === 0) {
          expect(sent).toBeLessThan(100);
          await ok(cluster.a.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: `a${sent++}` }, customer.token);
          await Promise.race([updates.count(1), new Promise((resolve) => setTimeout(resolve, 100))]);
        }
        await ok(cluster.a.graphqlUrl, CloseSessionDocument, { sessionId: createSession.id }, admin.token);
        const latest = (await ok(cluster.a.graphqlUrl, TeamStatsDocument, {}, admin.token)).stats;
        await updates.until((items) => items.at(-1)?.statsUpdated.sessionsResolved === 1, 'the close from node A');
        expect(updates.items.at(-1)!.statsUpdated).toEqual(latest);
        updates.stop();
      } finally {
        await client.dispose();
      }
    } finally {
      await cluster.dispose();
    }
  });
});
