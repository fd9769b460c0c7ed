import { UserRole } from '../src/shared/enums.js';
import { AutoCloseDocument, AutoCloseStateDocument, SendMessageDocument, SetAutoCloseDocument } from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { eventually } from './helpers/deadline.js';
import { type Actor, assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let t: TestServer;
let admin: Actor;
let staff: Actor;
let customer: Actor;

beforeAll(async () => {
  t = await startTestServer({ env: { REACTIONS_POLL_INTERVAL_MS: '50' } });
  admin = await loginAdmin(t);
  staff = await userWithRole(t, admin, UserRole.STAFF);
  customer = await userWithRole(t, admin, UserRole.USER);
});
afterAll(() => t.dispose());

const sql = <T extends Record<string, unknown>[]>(query: string, params: unknown[] = []) => t.server.orm.em.fork().getConnection().execute<T>(query, params);
/** The session's auto-close timer: when it is due and which reply it counts from; null when none is set. */
const timerOf = async (sessionId: string) => {
  const [row] = await sql<{ due_at: Date; replied_at: string }[]>(`select due_at, payload->>'repliedAt' as replied_at from timers where reaction = 'auto-close' and key = ?`, [`session:${sessionId}`]);
  return row ? { dueAt: new Date(row.due_at).getTime(), repliedAt: Date.parse(row.replied_at) } : null;
};
/** Makes the timer due now, as if the silence had lasted since long ago. */
const expire = (sessionId: string) =>
  sql(`update timers set due_at = now(), payload = jsonb_set(payload, '{repliedAt}', '"2000-01-01T00:00:00.000Z"') where reaction = 'auto-close' and key = ?`, [`session:${sessionId}`]);
const say = (sessionId: string, who: Actor, content: string) => ok(t.graphqlUrl, SendMessageDocument, { sessionId, content }, who.token);
const stateOf = async (sessionId: string) => ok(t.graphqlUrl, AutoCloseStateDocument, { sessionId }, admin.token);

describe('auto-close', () => {
  it('is set by admins (60 s to 90 days, or off) and read by staff', async () => {
    const initial = (await ok(t.graphqlUrl, AutoCloseDocument, {}, staff.token)).autoClose;
    expect(initial.inactiveSeconds).toBeNull();
    expect(initial.message).toContain('closed');
    for (const inactiveSeconds of [59, 90 * 24 * 3600 + 1, -5]) {
      expect((await gql(t.graphqlUrl, SetAutoCloseDocument, { inactiveSeconds }, admin.token)).errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: { inactiveSeconds: expect.any(String) },
      });
    }
    expect((await gql(t.graphqlUrl, SetAutoCloseDocument, { inactiveSeconds: 600 }, staff.token)).errors?.[0]?.extensions?.reason).toBe('ADMIN_ONLY');
    expect((await gql(t.graphqlUrl, AutoCloseDocument, {}, customer.token)).errors?.[0]?.extensions?.reason).toBe('STAFF_ONLY');
    expect((await ok(t.graphqlUrl, SetAutoCloseDocument, { inactiveSeconds: 600, message: 'Closed for silence.' }, admin.token)).setAutoClose).toEqual({
      inactiveSeconds: 600,
      message: 'Closed for silence.',
    });
    expect((await ok(t.graphqlUrl, SetAutoCloseDocument, { inactiveSeconds: 0 }, admin.token)).setAutoClose).toEqual({ inactiveSeconds: null, message: 'Closed for silence.' });
  });

  it('times the silence from each support reply, stops it when the customer writes, and closes with a message when it runs out', async () => {
    await ok(t.graphqlUrl, SetAutoCloseDocument, { inactiveSeconds: 3600, message: 'We closed this chat after an hour without a reply.' }, admin.token);
    const sessionId = await assignedSession(t, admin, customer, staff);
    await say(sessionId, customer, 'my order is late');
    expect(await timerOf(sessionId)).toBeNull();
    const { sendMessage: reply } = await say(sessionId, staff, 'It ships tomorrow. Anything else?');
    const timer = await eventually(
      () => timerOf(sessionId),
      (found) => found !== null,
      20_000,
      'the timer after the reply',
    );
    expect(timer).toEqual({ repliedAt: Date.parse(reply.message.createdAt), dueAt: Date.parse(reply.message.createdAt) + 3600_000 });

    await say(sessionId, customer, 'one more question');
    await eventually(
      () => timerOf(sessionId),
      (found) => found === null,
      20_000,
      'the timer cancelled by the customer',
    );
    await say(sessionId, staff, 'Sure, go ahead.');
    await eventually(
      () => timerOf(sessionId),
      (found) => found !== null,
      20_000,
      'the timer after the second reply',
    );

    await expire(sessionId);
    const closed = await eventually(
      () => stateOf(sessionId),
      (state) => state.session.status === 'CLOSED',
      20_000,
      'the auto-close',
    );
    expect(closed.session.endedAt).not.toBeNull();
    const automatic = closed.messagesPage.items.filter((m) => m.automatic);
    expect(automatic).toEqual([{ content: 'We closed this chat after an hour without a reply.', senderType: 'SYSTEM', automatic: true }]);
    expect(await timerOf(sessionId)).toBeNull();
  });

  it('checks the setting when the timer fires: a longer silence waits longer, off closes nothing', async () => {
    await ok(t.graphqlUrl, SetAutoCloseDocument, { inactiveSeconds: 600 }, admin.token);
    const sessionId = await assignedSession(t, admin, customer, staff);
    await say(sessionId, customer, 'hello');
    const { sendMessage: reply } = await say(sessionId, staff, 'hello, how can I help?');
    await eventually(
      () => timerOf(sessionId),
      (found) => found !== null,
      20_000,
      'the timer',
    );

    await ok(t.graphqlUrl, SetAutoCloseDocument, { inactiveSeconds: 7200 }, admin.token);
    await sql(`update timers set due_at = now() where reaction = 'auto-close' and key = ?`, [`session:${sessionId}`]);
    const moved = await eventually(
      () => timerOf(sessionId),
      (found) => found !== null && found.dueAt > Date.now(),
      20_000,
      'the timer moved to the longer silence',
    );
    expect(moved?.dueAt).toBe(Date.parse(reply.message.createdAt) + 7200_000);
    expect((await stateOf(sessionId)).session.status).toBe('ACTIVE');

    await ok(t.graphqlUrl, SetAutoCloseDocument, { inactiveSeconds: null }, admin.token);
    await expire(sessionId);
    await eventually(
      () => timerOf(sessionId),
      (found) => found === null,
      20_000,
      'the timer fired',
    );
    expect((await stateOf(sessionId)).session.status).toBe('ACTIVE');
  });
});
