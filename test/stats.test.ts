import { UserRole } from '../src/shared/enums.js';
import { AssignAgentDocument, CloseSessionDocument, CreateSessionDocument, SendMessageDocument, StatsDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { seededRandom, testSeed } from './helpers/random.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * The brute force walks every message: for each support reply, the wait it ends started at the
 * earliest customer message after the previous support reply in that session.
 */
const BRUTE_FORCE = `
  with replies as (
    select m.id, m.session_id, m.created_at,
           coalesce((select max(p.id) from chat_messages p
                      where p.session_id = m.session_id and p.sender_type = 'SUPPORT' and p.id < m.id), 0) as previous_reply
      from chat_messages m join chat_sessions s on s.id = m.session_id
     where m.sender_type = 'SUPPORT' and s.tenant_id = ? and s.kind = 'SUPPORT'
  ), waits as (
    select extract(epoch from r.created_at - (
             select min(u.created_at) from chat_messages u
              where u.session_id = r.session_id and u.sender_type = 'USER' and u.id > r.previous_reply and u.id < r.id)) * 1000 as ms
      from replies r
  )
  select (select count(*) from chat_sessions where tenant_id = ? and kind = 'SUPPORT') as total,
         (select count(*) from chat_sessions where tenant_id = ? and kind = 'SUPPORT' and status = 'ACTIVE') as active,
         (select count(*) from chat_messages m join chat_sessions s on s.id = m.session_id where s.tenant_id = ? and s.kind = 'SUPPORT') as messages,
         (select avg(ms) from waits where ms is not null) as avg_ms`;

describe('stats', () => {
  let t: TestServer;
  let admin: Actor;
  const seed = testSeed();

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
  });
  afterAll(() => t.dispose());

  it(`equals a brute-force SQL computation over a randomized data set (seed ${seed})`, async () => {
    const random = seededRandom(seed);
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const staff = [await userWithRole(t, admin, UserRole.STAFF), await userWithRole(t, admin, UserRole.STAFF)];
    const customers = [await userWithRole(t, admin, UserRole.USER), await userWithRole(t, admin, UserRole.USER)];

    const sessions: { id: string; customer: string; agent: string | null; closed: boolean }[] = [];
    for (let i = 0; i < 8; i++) {
      if (random() < 0.3) {
        const g = await guestSession(t);
        sessions.push({ id: g.sessionId, customer: g.token, agent: null, closed: false });
      } else {
        const customer = pick(customers);
        const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, {}, customer.token);
        sessions.push({ id: createSession.id, customer: customer.token, agent: null, closed: false });
      }
      const session = sessions[sessions.length - 1]!;
      if (random() < 0.8) {
        const agent = pick(staff);
        await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: session.id, agentId: agent.userId }, admin.token);
        session.agent = agent.token;
      }
    }
    for (let i = 0; i < 90; i++) {
      const session = pick(sessions.filter((s) => !s.closed));
      const roll = random();
      const author = roll < 0.55 || !session.agent ? session.customer : roll < 0.9 ? session.agent : admin.token;
      await ok(t.graphqlUrl, SendMessageDocument, { sessionId: session.id, content: `m${i}` }, author);
      if (random() < 0.03) {
        await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: session.id }, admin.token);
        session.closed = true;
      }
      if (random() < 0.2) await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 15)));
    }

    const tenantId = t.server.defaultTenantId;
    const [expected] = await t.server.orm.em
      .fork()
      .getConnection()
      .execute<{ total: string; active: string; messages: string; avg_ms: string | null }[]>(BRUTE_FORCE, [tenantId, tenantId, tenantId, tenantId]);
    const { stats } = await ok(t.graphqlUrl, StatsDocument, {}, admin.token);
    expect(stats.totalSessions).toBe(Number(expected!.total));
    expect(stats.activeSessions).toBe(Number(expected!.active));
    expect(stats.messagesExchanged).toBe(Number(expected!.messages));
    expect(stats.messagesExchanged).toBe(90);
    const expectedMinutes = expected!.avg_ms === null ? 0 : Number(expected!.avg_ms) / 60_000;
    expect(stats.averageResponseTime).toBeCloseTo(expectedMinutes, 9);
    expect(stats.averageResponseTime).toBeGreaterThan(0);
  }, 120_000);

  it("counts only the caller's tenant", async () => {
    const foreign = await foreignTenantAdmin(t);
    const { stats } = await ok(t.graphqlUrl, StatsDocument, {}, foreign.token);
    expect(stats).toEqual({ totalSessions: 0, activeSessions: 0, averageResponseTime: 0, messagesExchanged: 0 });
  });
});
