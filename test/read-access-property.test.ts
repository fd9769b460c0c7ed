import { allOf, readableSessionsCondition } from '../src/sessions/session-access.js';
import { UserRole } from '../src/shared/enums.js';
import type { Viewer } from '../src/shared/viewer.js';
import {
  AddRoomMemberDocument,
  AssignAgentDocument,
  CloseSessionDocument,
  CreateRoomDocument,
  CreateSessionDocument,
  RemoveRoomMemberDocument,
  ReopenSessionDocument,
  SessionDocument,
  SessionsDocument,
  TransferSessionDocument,
  UnassignSessionDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, guestSession, loginAdmin, unique, userWithRole } from './helpers/fixtures.js';
import { seededRandom, testSeed } from './helpers/random.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Read access is one rule with three forms: `session(id)` (denialOf, in memory), the SQL condition
 * search, the inbox and unread counts use (readableSessionsCondition), and the `sessions` list. Over a
 * seeded random tenant (users, staff, admins, bots, guests; support sessions assigned, transferred,
 * unassigned, closed and reopened; rooms with owners, members and former members; bots joined and
 * gone) every caller × session cell must get the same answer from all three.
 */
describe('read access: session(id), the SQL rule and the session list agree cell for cell', () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (p: number) => random() < p;

  let t: TestServer;
  interface Caller {
    name: string;
    token: string;
    viewer: Viewer;
  }
  const callers: Caller[] = [];
  const sessions: string[] = [];

  beforeAll(async () => {
    process.stdout.write(`read-access property test seed: ${seed} (TEST_SEED=${seed} replays it)\n`);
    t = await startTestServer();
    const tenantId = t.server.defaultTenantId;
    const admin = await loginAdmin(t);
    const asUser = (name: string, actor: Actor, role: UserRole): Caller => ({
      name,
      token: actor.token,
      viewer: { kind: 'user', tenantId, userId: actor.userId, role, username: name, displayName: name },
    });
    const staff = await Promise.all([1, 2, 3].map(() => userWithRole(t, admin, UserRole.STAFF)));
    const users = await Promise.all([1, 2, 3].map(() => userWithRole(t, admin, UserRole.USER)));
    const bots = await Promise.all([1, 2].map(() => userWithRole(t, admin, UserRole.BOT)));
    callers.push(asUser('admin', admin, UserRole.ADMIN));
    for (const [i, actor] of staff.entries()) callers.push(asUser(`staff${i}`, actor, UserRole.STAFF));
    for (const [i, actor] of users.entries()) callers.push(asUser(`user${i}`, actor, UserRole.USER));
    for (const [i, actor] of bots.entries()) callers.push(asUser(`bot${i}`, actor, UserRole.BOT));
    const foreign = await foreignTenantAdmin(t);
    // Another tenant's admin: its viewer names its own tenant, so the SQL rule finds none of ours.
    const [foreignTenant] = await t.server.orm.em.fork().getConnection().execute<{ tenant_id: string }[]>('select tenant_id::text from users where id = ?', [foreign.userId]);
    callers.push({
      name: 'foreignAdmin',
      token: foreign.token,
      viewer: { kind: 'user', tenantId: foreignTenant!.tenant_id, userId: foreign.userId, role: UserRole.ADMIN, username: 'boss', displayName: 'boss' },
    });

    const em = t.server.orm.em.fork();
    const connection = em.getConnection();
    /** Bots join support sessions through the participant table (bot routing adds them); some leave again. */
    const joinBot = async (sessionId: string, bot: Actor, leave: boolean) => {
      await connection.execute(
        `insert into participants (tenant_id, session_id, user_id, role, last_read_message_id, last_delivered_message_id, joined_at, left_at)
         select tenant_id, id, ?, 'BOT', 0, 0, now(), ${leave ? 'now()' : 'null'} from chat_sessions where id = ?`,
        [bot.userId, sessionId],
      );
    };

    // Support sessions, each with a random history.
    for (let i = 0; i < 70; i += 1) {
      const customer = pick(users);
      const opened = chance(0.3)
        ? (await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'for a user', userId: customer.userId }, admin.token)).createSession.id
        : (await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'mine' }, customer.token)).createSession.id;
      sessions.push(opened);
      await history(opened);
      if (chance(0.2)) await joinBot(opened, pick(bots), chance(0.4));
    }
    // Guests, each a caller on its own session.
    for (let i = 0; i < 4; i += 1) {
      const guest = await guestSession(t, `Guest ${i}`);
      sessions.push(guest.sessionId);
      callers.push({ name: `guest${i}`, token: guest.token, viewer: { kind: 'guest', tenantId, participantId: await guestParticipant(guest.sessionId), sessionId: guest.sessionId } });
      await history(guest.sessionId);
    }
    // Rooms: any user opens one with some members; some members leave or are removed, some come back.
    const people = [...staff, ...users, ...bots];
    for (let i = 0; i < 70; i += 1) {
      const owner = chance(0.15) ? admin : pick(people);
      const members = people.filter((person) => person !== owner && chance(0.35));
      const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: unique('room'), memberIds: members.map((member) => member.userId) }, owner.token);
      sessions.push(createRoom.id);
      for (const member of members) {
        if (!chance(0.3)) continue;
        const remover = chance(0.5) ? member : owner;
        await ok(t.graphqlUrl, RemoveRoomMemberDocument, { roomId: createRoom.id, userId: member.userId }, remover.token);
        if (chance(0.3)) await ok(t.graphqlUrl, AddRoomMemberDocument, { roomId: createRoom.id, userId: member.userId }, owner.token);
      }
    }

    async function guestParticipant(sessionId: string): Promise<string> {
      const [row] = await connection.execute<{ id: string }[]>(`select id::text from participants where session_id = ? and user_id is null`, [sessionId]);
      return row!.id;
    }

    /** Assign, transfer, unassign, close and reopen, each by chance, in an order the workflow allows. */
    async function history(sessionId: string): Promise<void> {
      if (!chance(0.75)) return;
      const first = pick(staff);
      await ok(t.graphqlUrl, AssignAgentDocument, { sessionId, agentId: first.userId }, admin.token);
      if (chance(0.3)) await ok(t.graphqlUrl, TransferSessionDocument, { sessionId, agentId: pick(staff.filter((other) => other !== first)).userId }, admin.token);
      if (chance(0.15)) await ok(t.graphqlUrl, UnassignSessionDocument, { sessionId }, admin.token);
      if (chance(0.3)) {
        await ok(t.graphqlUrl, CloseSessionDocument, { sessionId }, admin.token);
        if (chance(0.3)) await ok(t.graphqlUrl, ReopenSessionDocument, { sessionId }, admin.token);
      }
    }
  }, 180_000);
  afterAll(() => t?.dispose());

  it('covers at least 2,000 cells, and every cell agrees', async () => {
    expect(callers.length * sessions.length).toBeGreaterThanOrEqual(2_000);
    const connection = t.server.orm.em.fork().getConnection();
    const disagreements: string[] = [];
    for (const caller of callers) {
      // The SQL rule, evaluated as every many-session query states it (tenant scope included).
      const condition = allOf([{ sql: 's.tenant_id = ?', params: [caller.viewer.tenantId] }, readableSessionsCondition(caller.viewer)]);
      const bySql = new Set((await connection.execute<{ id: string }[]>(`select s.id::text as id from chat_sessions s where ${condition.sql}`, condition.params)).map((row) => row.id));
      const listed = new Set<string>();
      for (let page = 1; ; page += 1) {
        const { sessions: result } = await ok(t.graphqlUrl, SessionsDocument, { page, limit: 100 }, caller.token);
        for (const item of result.items) listed.add(item.id);
        if (page >= result.totalPages) break;
      }
      // A few requests at a time: the cells are independent reads.
      for (let start = 0; start < sessions.length; start += 8) {
        await Promise.all(
          sessions.slice(start, start + 8).map(async (id) => {
            const read = await gql(t.graphqlUrl, SessionDocument, { id }, caller.token);
            const byRule = !read.errors?.length;
            if (!byRule) expect(['FORBIDDEN', 'NOT_FOUND']).toContain(read.errors![0]!.extensions?.code);
            if (byRule !== bySql.has(id) || byRule !== listed.has(id)) disagreements.push(`${caller.name} × session ${id}: session(id) ${byRule}, SQL ${bySql.has(id)}, list ${listed.has(id)}`);
          }),
        );
      }
    }
    expect(disagreements).toEqual([]);
  }, 300_000);
});
