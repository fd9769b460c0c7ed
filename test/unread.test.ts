import { COUNTER_BACKFILL } from '../src/db/migrations/Migration20261130010000_unread_inbox.js';
import { UserRole } from '../src/shared/enums.js';
import {
  AddRoomMemberDocument,
  AssignAgentDocument,
  CloseSessionDocument,
  CreateRoomDocument,
  CreateSessionDocument,
  DeleteMessageDocument,
  InboxPageDocument,
  MarkReadDocument,
  MeUnreadDocument,
  RemoveRoomMemberDocument,
  SendNoteDocument,
  SessionUnreadDocument,
  TransferSessionDocument,
  UnreadDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { seededRandom, testSeed } from './helpers/random.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Unread counts are maintained on write; after a seeded random run of concurrent sends, notes,
 * read marks, deletes and reassignments every viewer's counts must equal a brute-force count
 * over the messages, done here in SQL.
 */
const seed = testSeed();

type Kind = 'admin' | 'staff' | 'customer' | 'guest' | 'bot';

interface Viewer {
  name: string;
  kind: Kind;
  token: string;
  /** Users: their id; guests: their participant id. */
  userId: string | null;
  participantId: string | null;
  /** Guests: their one session. */
  sessionId: string | null;
}

interface TrackedSession {
  id: string;
  customer: Viewer;
  agent: Viewer | null;
  closed: boolean;
  bot: boolean;
  /** Rooms: who may act (members, and admins). */
  members?: Viewer[];
  messages: { id: string; private: boolean; by: Viewer; deleted: boolean }[];
}

describe(`unread counts (seed ${seed}; TEST_SEED=${seed} replays)`, () => {
  let t: TestServer;
  const viewers: Viewer[] = [];
  const sessions: TrackedSession[] = [];
  const sql = async <T>(text: string, params: unknown[] = []): Promise<T[]> => t.server.orm.em.fork().getConnection().execute<T[]>(text, params);

  const asViewer = (name: string, kind: Kind, actor: Actor): Viewer => ({ name, kind, token: actor.token, userId: actor.userId, participantId: null, sessionId: null });

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.dispose());

  const seesNotes = (v: Viewer) => v.kind === 'admin' || v.kind === 'staff' || v.kind === 'bot';

  function canRead(v: Viewer, s: { id: string; kind: string; agent_id: string | null; customer_id: string | null; member: boolean }): boolean {
    if (v.kind === 'guest') return v.sessionId === s.id;
    if (v.kind === 'admin') return true;
    if (s.kind !== 'SUPPORT') return s.member;
    if (v.kind === 'staff') return s.agent_id === v.userId;
    if (v.kind === 'customer') return s.customer_id === v.userId;
    return s.member;
  }

  /** Brute force: every message after the viewer's watermark that they did not send and may see, not deleted. */
  async function bruteForce(v: Viewer): Promise<{ perSession: Map<string, number>; total: number; sessions: number }> {
    const own = v.kind === 'guest' ? 'p.id = ?' : 'p.user_id = ?';
    const key = v.kind === 'guest' ? v.participantId : v.userId;
    const rows = await sql<{ id: string; kind: string; agent_id: string | null; customer_id: string | null; pid: string | null; left_at: unknown; unread: string | number }>(
      `select s.id::text as id, s.kind, s.agent_id::text as agent_id, s.customer_id::text as customer_id, p.id::text as pid, p.left_at,
              (select count(*) from chat_messages m
                where m.session_id = s.id and m.deleted_at is null and m.id > coalesce(p.last_read_message_id, 0)
                  and m.sender_id is distinct from p.id and (not m.private or ?)) as unread
         from chat_sessions s left join participants p on p.session_id = s.id and ${own}`,
      [seesNotes(v), key],
    );
    const perSession = new Map<string, number>();
    let total = 0;
    let withUnread = 0;
    for (const row of rows) {
      const member = row.pid !== null && row.left_at === null;
      if (!canRead(v, { ...row, member })) continue;
      const unread = Number(row.unread);
      perSession.set(row.id, unread);
      // The summary counts the sessions the viewer takes part in.
      if (member && unread > 0) {
        total += unread;
        withUnread += 1;
      }
    }
    return { perSession, total, sessions: withUnread };
  }

  it('equal a brute-force count after a seeded random run of concurrent sends, notes, reads, deletes and reassignments', async () => {
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

    const adminActor = await loginAdmin(t);
    const admin = asViewer('admin', 'admin', adminActor);
    const staffA = asViewer('staffA', 'staff', await userWithRole(t, adminActor, UserRole.STAFF));
    const staffB = asViewer('staffB', 'staff', await userWithRole(t, adminActor, UserRole.STAFF));
    const bot = asViewer('bot', 'bot', await userWithRole(t, adminActor, UserRole.BOT));
    const customers = [asViewer('c1', 'customer', await userWithRole(t, adminActor, UserRole.USER)), asViewer('c2', 'customer', await userWithRole(t, adminActor, UserRole.USER))];
    viewers.push(admin, staffA, staffB, bot, ...customers);

    const open = async (customer: Viewer, agent: Viewer | null): Promise<TrackedSession> => {
      const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'unread' }, customer.token);
      if (agent) await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: createSession.id, agentId: agent.userId! }, admin.token);
      const tracked: TrackedSession = { id: createSession.id, customer, agent, closed: false, bot: false, messages: [] };
      sessions.push(tracked);
      return tracked;
    };
    const withBot = await open(customers[0]!, staffA);
    await open(customers[1]!, staffB);
    await open(customers[0]!, null);
    for (const [name, agent] of [
      ['g1', staffA],
      ['g2', null],
    ] as const) {
      const g = await guestSession(t, name);
      const [row] = await sql<{ id: string }>('select id::text as id from participants where session_id = ? and user_id is null', [g.sessionId]);
      const guest: Viewer = { name, kind: 'guest', token: g.token, userId: null, participantId: row!.id, sessionId: g.sessionId };
      viewers.push(guest);
      if (agent) await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: g.sessionId, agentId: agent.userId! }, admin.token);
      sessions.push({ id: g.sessionId, customer: guest, agent, closed: false, bot: false, messages: [] });
    }
    // Bots join through the participant table (as in the permission matrix).
    await sql(
      `insert into participants (tenant_id, session_id, user_id, role, last_read_message_id, last_delivered_message_id, joined_at)
       select tenant_id, id, ?, 'BOT', 0, 0, now() from chat_sessions where id = ?`,
      [bot.userId, withBot.id],
    );
    withBot.bot = true;
    // A room: members' counts follow the same rule (no notes in rooms); one member leaves and comes back mid-run.
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'team', memberIds: [customers[1]!.userId!, staffA.userId!] }, customers[0]!.token);
    const room: TrackedSession = { id: createRoom.id, customer: customers[0]!, agent: null, closed: false, bot: false, members: [customers[0]!, customers[1]!, staffA, admin], messages: [] };
    sessions.push(room);

    const actorsOf = (s: TrackedSession): Viewer[] => s.members ?? [s.customer, admin, ...(s.agent ? [s.agent] : []), ...(s.bot ? [bot] : [])];

    async function step(): Promise<void> {
      const s = pick(sessions);
      const actor = pick(actorsOf(s));
      const roll = random();
      if (roll < 0.5 && !s.closed) {
        const note = !s.members && seesNotes(actor) && random() < 0.3;
        const result = await gql(t.graphqlUrl, SendNoteDocument, { sessionId: s.id, content: `m${Math.floor(random() * 1e6)}`, private: note }, actor.token);
        if (result.errors?.length) {
          // A concurrent close or reassignment may overtake a step; nothing else may fail.
          expect(['SESSION_CLOSED', 'NOT_ASSIGNED', 'NOT_A_PARTICIPANT']).toContain(result.errors[0]!.extensions?.reason);
          return;
        }
        s.messages.push({ id: result.data!.sendMessage.message.id, private: note, by: actor, deleted: false });
      } else if (roll < 0.85) {
        const readable = s.messages.filter((m) => !m.private || seesNotes(actor));
        if (readable.length === 0) return;
        const target = pick(readable);
        const result = await gql(t.graphqlUrl, MarkReadDocument, { sessionId: s.id, messageIds: [target.id] }, actor.token);
        if (result.errors?.length) expect(['NOT_ASSIGNED', 'NOT_A_PARTICIPANT']).toContain(result.errors[0]!.extensions?.reason);
      } else {
        const own = s.messages.filter((m) => m.by === actor && !m.deleted);
        if (own.length === 0 || s.closed) return;
        const target = pick(own);
        target.deleted = true;
        const result = await gql(t.graphqlUrl, DeleteMessageDocument, { messageId: target.id }, actor.token);
        if (result.errors?.length) expect(['SESSION_CLOSED', 'NOT_ASSIGNED', 'NOT_A_PARTICIPANT', 'MESSAGE_DELETED']).toContain(result.errors[0]!.extensions?.reason);
      }
    }

    for (let batch = 0; batch < 30; batch++) {
      // Reassignment, concurrent with the batch: a direct update (the transfer mutation is another
      // change), or a fresh session assigned and later closed.
      const changes: Promise<unknown>[] = [];
      if (batch === 10) {
        // A transfer: staff B loses the session (their row stays, left), staff A joins it.
        const s = sessions[1]!;
        s.agent = staffA;
        changes.push(ok(t.graphqlUrl, TransferSessionDocument, { sessionId: s.id, agentId: staffA.userId! }, admin.token));
      }
      if (batch === 20) {
        // A direct update, as an auto-assignment might do it: staff B gets the guest queue session
        // without a participant row until they act (they count everything, as a watermark of 0).
        const s = sessions.find((x) => x.customer.kind === 'guest' && x.agent === null)!;
        s.agent = staffB;
        changes.push(sql('update chat_sessions set agent_id = ? where id = ?', [staffB.userId, s.id]));
      }
      if (batch === 15) changes.push(open(customers[1]!, staffB));
      if (batch === 12) {
        room.members = room.members!.filter((m) => m !== customers[1]);
        changes.push(ok(t.graphqlUrl, RemoveRoomMemberDocument, { roomId: room.id, userId: customers[1]!.userId! }, customers[0]!.token));
      }
      if (batch === 18) {
        changes.push(ok(t.graphqlUrl, AddRoomMemberDocument, { roomId: room.id, userId: customers[1]!.userId! }, customers[0]!.token));
        room.members!.push(customers[1]!);
      }
      if (batch === 22) {
        const s = sessions.find((x) => x.agent === staffB && !x.closed)!;
        s.closed = true;
        changes.push(ok(t.graphqlUrl, CloseSessionDocument, { sessionId: s.id }, admin.token));
      }
      await Promise.all([...changes, ...Array.from({ length: 6 }, () => step())]);
    }

    for (const v of viewers) {
      const expected = await bruteForce(v);
      for (const [sessionId, unread] of expected.perSession) {
        const { session } = await ok(t.graphqlUrl, SessionUnreadDocument, { id: sessionId }, v.token);
        expect({ viewer: v.name, sessionId, unread: session.unreadCount }).toEqual({ viewer: v.name, sessionId, unread });
      }
      const { unread } = await ok(t.graphqlUrl, UnreadDocument, {}, v.token);
      expect({ viewer: v.name, ...unread }).toEqual({ viewer: v.name, total: expected.total, sessions: expected.sessions });
      if (v.kind !== 'guest') {
        const { me } = await ok(t.graphqlUrl, MeUnreadDocument, {}, v.token);
        expect({ viewer: v.name, total: me!.unreadTotal, sessions: me!.unreadSessions }).toEqual({ viewer: v.name, total: expected.total, sessions: expected.sessions });
      }
      if (v.kind === 'admin' || v.kind === 'staff') {
        const { inbox } = await ok(t.graphqlUrl, InboxPageDocument, { first: 100 }, v.token);
        const [counts] = await sql<{ mine: string; unassigned: string; total: string }>(
          `select count(*) filter (where agent_id = ?) as mine, count(*) filter (where agent_id is null) as unassigned, count(*) as total
             from chat_sessions where kind = 'SUPPORT' and (? or agent_id = ?)`,
          [v.userId, v.kind === 'admin', v.userId],
        );
        expect({ viewer: v.name, ...inbox.tabs }).toEqual({ viewer: v.name, mine: Number(counts!.mine), unassigned: v.kind === 'admin' ? Number(counts!.unassigned) : 0, all: Number(counts!.total) });
        for (const edge of inbox.edges) {
          expect({ viewer: v.name, id: edge.node.session.id, unread: edge.node.unreadCount }).toEqual({
            viewer: v.name,
            id: edge.node.session.id,
            unread: expected.perSession.get(edge.node.session.id),
          });
        }
        expect(inbox.edges).toHaveLength(Number(counts!.total));
      }
    }
    // The migration's recount from the messages finds every counter as the triggers kept it.
    const counters = async () => ({
      sessions: await sql('select id::text as id, visible_count, staff_visible_count from chat_sessions order by id'),
      participants: await sql('select id::text as id, unread_count from participants order by id'),
    });
    const kept = await counters();
    for (const statement of COUNTER_BACKFILL) await sql(statement);
    expect(await counters()).toEqual(kept);
    // The run did something to count.
    expect(sessions.reduce((sum, s) => sum + s.messages.length, 0)).toBeGreaterThan(30);
  });

  it('counts everything a reader who never joined may see (an admin looking in); exact past 99', async () => {
    const adminActor = await loginAdmin(t);
    const customer = await userWithRole(t, adminActor, UserRole.USER);
    const staff = await userWithRole(t, adminActor, UserRole.STAFF);
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'fresh' }, customer.token);
    const sessionId = createSession.id;
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId, agentId: staff.userId }, adminActor.token);
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) sent.push((await ok(t.graphqlUrl, SendNoteDocument, { sessionId, content: `q${i}` }, customer.token)).sendMessage.message.id);
    await ok(t.graphqlUrl, SendNoteDocument, { sessionId, content: 'internal', private: true }, staff.token);
    const unreadOf = async (token: string) => (await ok(t.graphqlUrl, SessionUnreadDocument, { id: sessionId }, token)).session.unreadCount;
    // The staff member wrote the note: reading to the end by sending.
    expect(await unreadOf(staff.token)).toBe(0);
    // The customer never sees the note.
    expect(await unreadOf(customer.token)).toBe(0);
    // A second admin who never joined: the three messages and the note.
    const otherAdmin = await userWithRole(t, adminActor, UserRole.ADMIN);
    expect(await unreadOf(otherAdmin.token)).toBe(4);
    expect((await ok(t.graphqlUrl, UnreadDocument, {}, otherAdmin.token)).unread).toEqual({ total: 0, sessions: 0 });
    // Marking part of it read joins the session and counts only what is left.
    await ok(t.graphqlUrl, MarkReadDocument, { sessionId, messageIds: [sent[0]!] }, otherAdmin.token);
    expect(await unreadOf(otherAdmin.token)).toBe(3);
    expect((await ok(t.graphqlUrl, UnreadDocument, {}, otherAdmin.token)).unread).toEqual({ total: 3, sessions: 1 });
    // Deleting a message nobody read takes it out of every count.
    await ok(t.graphqlUrl, DeleteMessageDocument, { messageId: sent[2]! }, customer.token);
    expect(await unreadOf(otherAdmin.token)).toBe(2);
    // Counts are exact, never capped.
    for (let i = 0; i < 120; i++) await ok(t.graphqlUrl, SendNoteDocument, { sessionId, content: `more ${i}` }, customer.token);
    expect(await unreadOf(otherAdmin.token)).toBe(122);
    expect(await unreadOf(staff.token)).toBe(120);
  });

  it('refuses bad input with a clear error', async () => {
    const adminActor = await loginAdmin(t);
    const bad = await gql(t.graphqlUrl, InboxPageDocument, { first: 0 }, adminActor.token);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const cursor = await gql(t.graphqlUrl, InboxPageDocument, { after: 'not-a-cursor' }, adminActor.token);
    expect(cursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
    const both = await gql(t.graphqlUrl, InboxPageDocument, { filter: { assignee: 'ME', agentId: '1' } }, adminActor.token);
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await gql(t.graphqlUrl, InboxPageDocument, { first: 101 }, adminActor.token);
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
