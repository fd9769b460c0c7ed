import { type ChildProcess, spawn } from 'node:child_process';
import pino from 'pino';
import { parseAdminCommand } from '../src/admin/admin.commands.js';
import type { ReactionConfig } from '../src/config/config.js';
import type { Reaction } from '../src/reactions/reaction.js';
import { ReactionRunner } from '../src/reactions/reaction-runner.js';
import { cancel, schedule, scheduledAt } from '../src/reactions/timers.js';
import { pruneEvents } from '../src/realtime/retention.js';
import { UserRole } from '../src/shared/enums.js';
import { CreateSessionDocument, SendMessageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { skipReason } from './helpers/cluster.js';
import { usingPostgres } from './helpers/database.js';
import { createEffectTables, effectReaction } from './helpers/effect-reactions.mjs';
import { type Actor, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Runners in tests look often and give up a lease quickly, so takeovers happen within a second or two. */
const FAST: ReactionConfig = { pollIntervalMs: 50, leaseMs: 2_000, maxAttempts: 3, retryBaseMs: 20 };
const silent = pino({ level: 'silent' });

/** Polls `probe` until `done` accepts its value, or fails naming what it last saw. */
async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('reactions and durable timers', () => {
  let t: TestServer;
  let customer: Actor;
  let sessionId: string;
  const runners: ReactionRunner[] = [];

  const sql = <T>(query: string, params: unknown[] = []) => t.server.orm.em.fork().getConnection().execute<T[]>(query, params);
  const effects = (reaction: string) => sql<{ key: string; runs: number }>('select key, runs from test_effects where reaction = ? order by key', [reaction]);
  const runner = async (reactions: Reaction[], config: ReactionConfig = FAST) => {
    const created = new ReactionRunner(t.server.orm, reactions, config, silent);
    runners.push(created);
    await created.prepare();
    created.start();
    return created;
  };
  const send = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, count - i) }, (_, j) => ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: `message ${i + j}` }, customer.token)));
      ids.push(...batch.map((sent) => sent.sendMessage.message.id));
    }
    return ids;
  };
  const eventIdsOf = async (messageIds: string[]) =>
    (await sql<{ id: string }>(`select id::text as id from session_events where type = 'message.created' and (payload->'message'->>'id') in (${messageIds.map(() => '?').join(', ')})`, messageIds))
      .map((row) => `event:${row.id}`)
      .sort();

  beforeAll(async () => {
    t = await startTestServer();
    const admin = await loginAdmin(t);
    customer = await userWithRole(t, admin, UserRole.USER);
    sessionId = (await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'reactions' }, customer.token)).createSession.id;
    await createEffectTables(t.server.orm.em.fork().getConnection());
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((running) => running.stop()));
  });
  afterAll(() => t?.dispose());

  it('runs a reaction once for every event committed after it was registered, across two runners, none twice', async () => {
    const name = 'count-two-runners';
    // A lease no stall of a busy machine outlasts (a takeover mid-batch would repeat events, which is allowed).
    const patient = { ...FAST, leaseMs: 15_000 };
    await runner([effectReaction(t.server.orm, name, 'effect')], patient);
    await runner([effectReaction(t.server.orm, name, 'effect')], patient);
    const expected = await eventIdsOf(await send(40));
    const seen = await until(
      'every event handled',
      () => effects(name),
      (rows) => rows.length >= expected.length,
    );
    expect(seen.map((row) => row.key).sort()).toEqual(expected);
    expect(seen.filter((row) => row.runs !== 1)).toEqual([]);
  });

  it('reads the outbox in transaction-id order as numbers (999 before 1000), each event once', async () => {
    const name = 'numeric-order';
    const seen: string[] = [];
    let ids: string[] = [];
    const reaction: Reaction = {
      name,
      events: ['message.created'],
      handle: async (event) => {
        if (ids.includes(event.id)) seen.push(event.id);
      },
    };
    ids = (await eventIdsOf(await send(12))).map((key) => key.slice('event:'.length)).sort((a, b) => Number(a) - Number(b));
    // Transaction ids that cross a digit boundary, far below the horizon (all readable), in reverse
    // of the event ids so that neither order alone gives the expected one.
    for (const [i, id] of ids.entries()) await sql(`update session_events set tx = ?::xid8 where id = ?`, [String(1006 - i), id]);
    await sql(`insert into reaction_checkpoints (name, tx, event_id) values (?, '990'::xid8, 0)`, [name]);
    await runner([reaction]);
    await until(
      'the twelve events',
      async () => seen.length,
      (count) => count >= 12,
    );
    const start = Date.now();
    // A few more passes: nothing is repeated.
    await until(
      'four more polls',
      async () => Date.now(),
      (time) => time - start > 4 * FAST.pollIntervalMs,
    );
    expect(seen).toEqual([...ids].reverse());
  });

  it('retries a failing event with backoff, parks it after its last attempt, and holds no other reaction up; `reactions --retry` sends it back', async () => {
    let attempts = 0;
    let down = true;
    const recovered: string[] = [];
    const failing: Reaction = {
      name: 'always-fails',
      events: ['message.created'],
      handle: async (event) => {
        attempts += 1;
        if (down) throw new Error('the receiving system is down');
        recovered.push(`event:${event.id}`);
      },
    };
    const healthy = effectReaction(t.server.orm, 'healthy-beside-failing', 'effect');
    await runner([failing, healthy]);
    const expected = await eventIdsOf(await send(3));
    await until(
      'the healthy reaction handled every event',
      () => effects(healthy.name),
      (rows) => rows.length === expected.length,
    );
    const parked = await until(
      'all three events parked',
      () => sql<{ event_id: string; attempts: number; error: string }>("select event_id::text, attempts, error from reaction_parked where reaction = 'always-fails'"),
      (rows) => rows.length === 3,
    );
    expect(parked.map((row) => `event:${row.event_id}`).sort()).toEqual(expected);
    expect(parked.every((row) => row.attempts === FAST.maxAttempts && row.error.includes('the receiving system is down'))).toBe(true);
    expect(attempts).toBe(3 * FAST.maxAttempts);
    // Past the parked events, with no failure pending and the lease given back.
    await until(
      'the checkpoint past the parked events, lease released',
      () => sql<{ attempts: number; lease_owner: string | null }>("select attempts, lease_owner from reaction_checkpoints where name = 'always-fails'"),
      (rows) => rows[0]?.attempts === 0 && rows[0]?.lease_owner === null,
    );
    // The admin CLI lists it, and sends the parked events back once the receiver is up again.
    const listed = await parseAdminCommand(['reactions']).run({ ...t.server.deps, orm: t.server.orm });
    expect(listed).toMatch(/^always-fails\tat \d+\/\d+\tparked 3\t/m);
    down = false;
    expect(await parseAdminCommand(['reactions', '--retry', 'always-fails']).run({ ...t.server.deps, orm: t.server.orm })).toBe('sent back 3 parked to always-fails');
    await until(
      'the parked events handled again',
      async () => [...recovered].sort(),
      (keys) => keys.length === 3,
    );
    expect([...recovered].sort()).toEqual(expected);
    await until(
      'nothing parked or pending',
      () => sql<{ n: string }>("select ((select count(*) from reaction_parked where reaction = 'always-fails') + (select count(*) from timers where reaction = 'always-fails'))::text as n"),
      (rows) => rows[0]?.n === '0',
    );
  });

  it('takes over an event and a timer from a node that died holding them, once its lease runs out', async () => {
    const name = 'takeover';
    const reaction = effectReaction(t.server.orm, name, 'effect');
    // A node took the reaction's lease and a timer's, then died: what it leaves behind is the rows.
    await sql(`insert into reaction_checkpoints (name, tx, event_id) values (?, pg_snapshot_xmin(pg_current_snapshot()), 0) on conflict (name) do nothing`, [name]);
    const expected = await eventIdsOf(await send(2));
    await sql(`update reaction_checkpoints set lease_owner = 'dead-node', lease_until = now() + interval '1 second' where name = ?`, [name]);
    await schedule(t.server.orm.em.fork(), { reaction: name, key: 'wake-up', at: new Date(Date.now() - 1000) });
    await sql(`update timers set lease_owner = 'dead-node', lease_until = now() + interval '1 second', attempts = 1 where reaction = ?`, [name]);
    const startedAt = Date.now();
    await runner([reaction]);
    const done = await until(
      'the events and the timer finished by the new node',
      () => effects(name),
      (rows) => rows.length === expected.length + 1,
      10_000,
    );
    expect(done.map((row) => row.key).sort()).toEqual([...expected, 'timer:wake-up'].sort());
    expect(done.every((row) => row.runs === 1)).toBe(true);
    // Not before the dead node's lease ran out.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
    expect(await scheduledAt(t.server.orm.em.fork(), name, 'wake-up')).toBeNull();
  });

  it('fires each timer once at its time; a moved timer at its new time, a cancelled or rolled-back one never', async () => {
    const name = 'timers-once';
    const fired: { key: string; at: number; attempt: number }[] = [];
    const reaction: Reaction = {
      name,
      fire: async (timer) => {
        fired.push({ key: timer.key, at: Date.now(), attempt: timer.attempt });
      },
    };
    const em = t.server.orm.em.fork();
    const now = Date.now();
    await schedule(em, { reaction: name, key: 'soon', at: new Date(now + 300), payload: { n: 1 } });
    await schedule(em, { reaction: name, key: 'moved', at: new Date(now + 200) });
    await schedule(em, { reaction: name, key: 'moved', at: new Date(now + 1_200) });
    await schedule(em, { reaction: name, key: 'cancelled', at: new Date(now + 200) });
    expect(await cancel(em, name, 'cancelled')).toBe(true);
    await em
      .transactional(async (tx) => {
        await schedule(tx, { reaction: name, key: 'rolled-back', at: new Date(now) });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await runner([reaction]);
    await until(
      'both timers fired',
      async () => fired.length,
      (count) => count >= 2,
      10_000,
    );
    // Nothing more fires afterwards: look a few polls later.
    await until(
      'four more polls',
      async () => Date.now(),
      (time) => time - fired[1]!.at > 4 * FAST.pollIntervalMs,
    );
    expect(fired.map((timer) => timer.key).sort()).toEqual(['moved', 'soon']);
    expect(fired.find((timer) => timer.key === 'moved')!.at).toBeGreaterThanOrEqual(now + 1_200);
    expect(fired.every((timer) => timer.attempt === 1)).toBe(true);
    expect(await sql(`select key from timers where reaction = ?`, [name])).toEqual([]);
  });

  it('outbox pruning keeps the events a reaction has still to finish, and takes them once it has', async () => {
    const name = 'slow-reader';
    // Only the server's own reactions and this one read the outbox now.
    await sql(`delete from reaction_checkpoints where name <> 'auto-assignment'`);
    await sql(`insert into reaction_checkpoints (name, tx, event_id) values (?, pg_snapshot_xmin(pg_current_snapshot()), 0)`, [name]);
    const expected = await eventIdsOf(await send(2));
    const ids = expected.map((key) => key.slice('event:'.length));
    const inList = ids.map(() => '?').join(', ');
    await sql(`update session_events set created_at = now() - interval '30 days' where id in (${inList})`, ids);
    const remaining = async () => (await sql<{ id: string }>(`select id::text as id from session_events where id in (${inList})`, ids)).length;
    await until(
      "the server's own reactions passed the events",
      () =>
        sql<{ behind: string }>(`select count(*)::text as behind from reaction_checkpoints c, session_events e where c.name <> ? and e.id in (${inList}) and (c.tx, c.event_id) < (e.tx, e.id)`, [
          name,
          ...ids,
        ]),
      (rows) => rows[0]?.behind === '0',
    );
    await pruneEvents(t.server.orm, 7);
    expect(await remaining()).toBe(2);
    await runner([effectReaction(t.server.orm, name, 'effect')]);
    await until(
      'the slow reader finished them',
      () => effects(name),
      (rows) => rows.length === 2,
    );
    await until(
      'the checkpoint moved past them',
      async () => {
        await pruneEvents(t.server.orm, 7);
        return remaining();
      },
      (count) => count === 0,
    );
  });

  describe('across processes (PostgreSQL)', () => {
    const available = usingPostgres();
    skipReason(available, 'reaction nodes in separate processes need PostgreSQL (DATABASE_URL)');
    const maybe = available ? it : it.skip;
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const child of children.splice(0)) child.kill('SIGKILL');
    });

    /** Starts test/helpers/reaction-node.mjs on this test's database; resolves once it runs. */
    const node = (reactions: string[], mode: 'effect' | 'hang', leaseMs = 3_000): Promise<ChildProcess> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['test/helpers/reaction-node.mjs'], {
          env: { PATH: process.env.PATH ?? '', DATABASE_URL: t.database.url, REACTIONS: reactions.join(','), MODE: mode, LEASE_MS: String(leaseMs) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        children.push(child);
        let output = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk;
          if (output.includes('ready')) resolve(child);
        });
        child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
        child.once('exit', (code) => reject(new Error(`reaction node exited with ${code}: ${output}`)));
      });

    maybe(
      'a node killed (SIGKILL) mid-event and mid-timer: another node completes each, exactly once in effect',
      async () => {
        const name = 'kill-nine';
        await node([name], 'hang');
        const expected = await eventIdsOf(await send(1));
        await schedule(t.server.orm.em.fork(), { reaction: name, key: 'due-now', at: new Date() });
        await until(
          'the doomed node started the event and the timer',
          () => sql<{ key: string }>('select key from test_started where reaction = ?', [name]),
          (rows) => rows.length === 2,
        );
        children[0]!.kill('SIGKILL');
        await runner([effectReaction(t.server.orm, name, 'effect')]);
        const done = await until(
          'the surviving node completed both',
          () => effects(name),
          (rows) => rows.length === 2,
          15_000,
        );
        expect(done.map((row) => row.key).sort()).toEqual([...expected, 'timer:due-now'].sort());
        expect(done.every((row) => row.runs === 1)).toBe(true);
        expect(await sql(`select key from timers where reaction = ?`, [name])).toEqual([]);
      },
      60_000,
    );

    maybe(
      'two nodes: 1,000 events and 200 timers produce exactly 1,000 and 200 effects',
      async () => {
        const name = 'two-nodes';
        // Leases long enough that no stall of a busy machine hands work over mid-event (that would run it twice, which is allowed).
        await node([name], 'effect', 15_000);
        await runner([effectReaction(t.server.orm, name, 'effect')], { ...FAST, leaseMs: 15_000 });
        const em = t.server.orm.em.fork();
        const start = Date.now();
        for (let i = 0; i < 200; i += 1) await schedule(em, { reaction: name, key: `t${i}`, at: new Date(start + (i % 20) * 100) });
        const expected = await eventIdsOf(await send(1_000));
        const done = await until(
          '1,200 effects',
          () => effects(name),
          (rows) => rows.length >= 1_200,
          60_000,
        );
        expect(
          done
            .filter((row) => row.key.startsWith('event:'))
            .map((row) => row.key)
            .sort(),
        ).toEqual(expected);
        expect(done.filter((row) => row.key.startsWith('timer:'))).toHaveLength(200);
        expect(done.filter((row) => row.runs !== 1)).toEqual([]);
      },
      120_000,
    );
  });
});
