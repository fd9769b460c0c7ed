import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ReactionConfig } from '../config/config.js';
import type { Orm } from '../db/orm.js';
import { toPublished } from '../events/event-bus.js';
import type { PublishedEvent } from '../model/event-contract.js';
import { SessionEvent } from '../model/session-event.entity.js';
import { deskClockOffsetMs } from '../shared/desk-clock.js';
import { storedJsonObject } from '../shared/validate.js';
import { retriedEventId } from './parked.js';
import type { DueTimer, Reaction, ReactionObserver } from './reaction.js';

const BATCH_SIZE = 100;
/** How often a pass records its progress within a batch (besides at the batch's end). */
const RECORD_EVERY_MS = 250;
const TIMER_BATCH_SIZE = 50;
const MAX_RETRY_DELAY_MS = 5 * 60 * 1000;
const MAX_ERROR_LENGTH = 1000;

/** One pass at a time per key; a wake during a pass runs one more pass after it. */
class SingleFlight {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly pass: () => Promise<void>) {}

  wake(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}

/** A position in the outbox: everything up to (tx, eventId) in (tx, id) order is done. */
interface Checkpoint {
  tx: string;
  eventId: string;
}

interface OutboxRow {
  id: string;
  tx: string;
  type: string;
}

interface TimerRow {
  id: string;
  reaction: string;
  key: string;
  tenant_id: string | null;
  due_at: Date | string;
  payload: Record<string, unknown> | string;
  version: number;
  attempts: number;
}

/** Thrown when a handler runs past half its lease: it counts as a failure, and its event is retried. */
class HandlerTimeout extends Error {}

/**
 * Runs every registered reaction on this node, sharing the work with the other nodes through the
 * database:
 *
 * - **Events.** Each reaction has a checkpoint row: the last (transaction id, event id) it
 *   finished. The outbox is read in that order, only below the oldest transaction still running
 *   (`pg_snapshot_xmin`), so an event whose transaction commits late is never passed over. One node
 *   at a time holds a reaction's lease and works through its events in order; a failure retries
 *   the same event with backoff (later events wait), and after REACTION_MAX_ATTEMPTS the event is
 *   parked in `reaction_parked` and the reaction moves on. A failing reaction never holds up
 *   another: each has its own checkpoint, lease and pass.
 * - **Timers.** Due timers are claimed with FOR UPDATE SKIP LOCKED and a lease, fired, and deleted
 *   (unless moved meanwhile). A node that dies mid-run leaves the lease to run out; another node
 *   then fires the timer again.
 *
 * A node looks every REACTIONS_POLL_INTERVAL_MS, and at once after its own commits (`wake`).
 */
export class ReactionRunner {
  /** This node, as lease holder. */
  readonly owner = `node-${randomUUID()}`;
  private readonly passes = new Map<string, SingleFlight>();
  private readonly timerPass: SingleFlight;
  private readonly byName: Map<string, Reaction>;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failing = new Set<string>();

  constructor(
    private readonly orm: Orm,
    reactions: readonly Reaction[],
    private readonly config: ReactionConfig,
    private readonly logger: Logger,
    private readonly observer?: ReactionObserver,
  ) {
    this.byName = new Map(reactions.map((reaction) => [reaction.name, reaction]));
    if (this.byName.size !== reactions.length) throw new Error('two reactions share a name');
    for (const reaction of reactions) {
      if (reaction.handle) this.passes.set(reaction.name, new SingleFlight(() => this.guarded(reaction.name, () => this.eventPass(reaction))));
    }
    this.timerPass = new SingleFlight(() => this.guarded('timers', () => this.timersPass()));
  }

  /** Creates missing checkpoints (at the outbox's head: a new reaction does not replay history). Before `start`. */
  async prepare(): Promise<void> {
    const connection = this.orm.em.fork().getConnection();
    for (const name of this.passes.keys()) {
      await connection.execute(`insert into reaction_checkpoints (name, tx, event_id) values (?, pg_snapshot_xmin(pg_current_snapshot()), 0) on conflict (name) do nothing`, [name]);
    }
    for (const row of await connection.execute<{ reaction: string; parked: string }[]>('select reaction, count(*)::text as parked from reaction_parked group by reaction')) {
      this.observer?.parked(row.reaction, Number(row.parked));
    }
  }

  /** Starts looking: now, at every wake, and every poll interval. */
  start(): void {
    this.timer = setInterval(() => this.wake(), this.config.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /** Something may be waiting (this node committed events, or scheduled a timer): look now. */
  wake(): void {
    if (this.stopped) return;
    for (const pass of this.passes.values()) pass.wake();
    this.timerPass.wake();
  }

  /** Stops looking and waits for the passes under way (each handler ends within half a lease). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...[...this.passes.values()].map((pass) => pass.idle()), this.timerPass.idle()]);
  }

  /** A pass that fails (the database is away) is logged once per outage and tried again at the next wake. */
  private async guarded(name: string, pass: () => Promise<void>): Promise<void> {
    try {
      await pass();
      if (this.failing.delete(name)) this.logger.info({ reaction: name }, 'reaction runs again');
    } catch (error) {
      if (this.failing.has(name)) return;
      this.failing.add(name);
      this.logger.warn({ err: error, reaction: name }, 'reaction pass failed; retrying every poll interval');
    }
  }

  private async eventPass(reaction: Reaction): Promise<void> {
    const connection = this.orm.em.fork().getConnection();
    const leaseMs = this.config.leaseMs;
    const [claimed] = await connection.execute<{ tx: string; event_id: string; attempts: number }[]>(
      `update reaction_checkpoints set lease_owner = ?, lease_until = now() + ? * interval '1 millisecond'
        where name = ? and (lease_owner is null or lease_until < now() or lease_owner = ?) and (retry_at is null or retry_at <= now())
        returning tx::text as tx, event_id::text as event_id, attempts`,
      [this.owner, leaseMs, reaction.name, this.owner],
    );
    if (!claimed) return;
    let at: Checkpoint = { tx: claimed.tx, eventId: claimed.event_id };
    // Failures so far of the first event this pass handles (the checkpoint stops right before a failing event).
    let attempts = claimed.attempts;
    // When the lease was last renewed (with the progress recorded so far).
    let recordedAt = Date.now();
    try {
      while (!this.stopped) {
        const rows = await connection.execute<OutboxRow[]>(
          // Ordered by the columns, not by the text aliases (which would sort '1002' before '994').
          `select e.id::text as id, e.tx::text as tx, e.type from session_events e
            where e.tx is not null and (e.tx, e.id) > (?::xid8, ?::bigint) and e.tx < pg_snapshot_xmin(pg_current_snapshot())
            order by e.tx, e.id limit ?`,
          [at.tx, at.eventId, BATCH_SIZE],
        );
        if (rows.length === 0) {
          this.observer?.lag(reaction.name, 0);
          return;
        }
        const wanted = rows.filter((row) => reaction.events === undefined || (reaction.events as readonly string[]).includes(row.type));
        const events = await this.load(wanted.map((row) => row.id));
        for (const row of rows) {
          const event = events.get(row.id);
          if (event) {
            // Progress is recorded (and the lease renewed) before a handler whenever RECORD_EVERY_MS
            // passed since the last time, and at the batch's end: a slow database or handler never
            // lets the lease run out unrenewed, and a takeover repeats at most that much.
            if (Date.now() - recordedAt >= RECORD_EVERY_MS) {
              if (!(await this.advance(reaction.name, at))) return;
              recordedAt = Date.now();
            }
            const outcome = await this.handleOne(reaction, event, at, attempts);
            if (outcome === 'retry') return;
            attempts = 0;
          }
          at = { tx: row.tx, eventId: row.id };
        }
        if (!(await this.advance(reaction.name, at))) return;
        recordedAt = Date.now();
        if (rows.length < BATCH_SIZE) {
          this.observer?.lag(reaction.name, 0);
          return;
        }
      }
    } finally {
      await connection.execute('update reaction_checkpoints set lease_owner = null, lease_until = null where name = ? and lease_owner = ?', [reaction.name, this.owner]);
    }
  }

  /** Runs the handler for one event: 'done' (handled, or parked after its last attempt) or 'retry' (backing off; the pass ends). */
  private async handleOne(reaction: Reaction, event: PublishedEvent, before: Checkpoint, previousAttempts: number): Promise<'done' | 'retry'> {
    try {
      await this.withinLease(reaction.handle!(event));
      this.observer?.handled(reaction.name, 'event');
      this.observer?.lag(reaction.name, Math.max(0, (Date.now() - Date.parse(event.createdAt)) / 1000));
      return 'done';
    } catch (error) {
      this.observer?.failed(reaction.name, 'event');
      const attempts = previousAttempts + 1;
      const message = errorText(error);
      const connection = this.orm.em.fork().getConnection();
      if (attempts >= this.config.maxAttempts) {
        this.logger.error({ err: error, reaction: reaction.name, eventId: event.id, attempts }, 'reaction parked an event after its last attempt');
        await connection.execute('insert into reaction_parked (reaction, event_id, tenant_id, attempts, error) values (?, ?, ?, ?, ?)', [reaction.name, event.id, event.tenantId, attempts, message]);
        await this.refreshParked(reaction.name);
        return 'done';
      }
      this.logger.warn({ err: error, reaction: reaction.name, eventId: event.id, attempts }, 'reaction failed; retrying the event');
      await connection.execute(
        `update reaction_checkpoints set tx = ?::xid8, event_id = ?, attempts = ?, retry_at = now() + ? * interval '1 millisecond', last_error = ?, updated_at = now()
          where name = ? and lease_owner = ?`,
        [before.tx, before.eventId, attempts, this.retryDelayMs(attempts), message, reaction.name, this.owner],
      );
      return 'retry';
    }
  }

  /** Moves the checkpoint (renewing the lease); false when this node no longer holds it. */
  private async advance(name: string, at: Checkpoint): Promise<boolean> {
    const rows = await this.orm.em
      .fork()
      .getConnection()
      .execute<{ name: string }[]>(
        `update reaction_checkpoints set tx = ?::xid8, event_id = ?, attempts = 0, retry_at = null, last_error = null,
                lease_until = now() + ? * interval '1 millisecond', updated_at = now()
          where name = ? and lease_owner = ? returning name`,
        [at.tx, at.eventId, this.config.leaseMs, name, this.owner],
      );
    return rows.length > 0;
  }

  /** The events as the contract types them (one mapping, toPublished), across tenants. */
  private async load(ids: string[]): Promise<Map<string, PublishedEvent>> {
    if (ids.length === 0) return new Map();
    const rows = await this.orm.em.fork().find(SessionEvent, { id: { $in: ids } }, { filters: false });
    return new Map(rows.map((row) => [row.id, toPublished(row)]));
  }

  private async timersPass(): Promise<void> {
    // Every reaction may have timers: its own (`fire`), or parked events sent back to it (`handle`).
    const names = [...this.byName.keys()];
    if (names.length === 0) return;
    const connection = this.orm.em.fork().getConnection();
    while (!this.stopped) {
      const rows = await connection.execute<TimerRow[]>(
        `with due as (
           select id from timers
            where due_at <= now() + ? * interval '1 millisecond' and (lease_until is null or lease_until < now()) and reaction in (${names.map(() => '?').join(', ')})
            order by due_at, id limit ? for update skip locked)
         update timers t set lease_owner = ?, lease_until = now() + ? * interval '1 millisecond', attempts = t.attempts + 1
           from due where t.id = due.id
         returning t.id::text as id, t.reaction, t.key, t.tenant_id::text as tenant_id, t.due_at, t.payload, t.version, t.attempts`,
        // Due on the desk's clock (shared/desk-clock.ts); leases stay on the database's.
        [deskClockOffsetMs(), ...names, TIMER_BATCH_SIZE, this.owner, this.config.leaseMs],
      );
      await Promise.all(rows.map((row) => this.fireOne(row)));
      if (rows.length < TIMER_BATCH_SIZE) return;
    }
  }

  private async fireOne(row: TimerRow): Promise<void> {
    const reaction = this.byName.get(row.reaction)!;
    const timer: DueTimer = {
      reaction: row.reaction,
      key: row.key,
      tenantId: row.tenant_id,
      dueAt: new Date(row.due_at),
      payload: storedJsonObject(row.payload, `timer ${row.reaction}/${row.key}'s payload`),
      attempt: row.attempts,
    };
    const connection = this.orm.em.fork().getConnection();
    try {
      await this.withinLease(this.runTimer(reaction, timer));
      this.observer?.handled(row.reaction, 'timer');
      if (retriedEventId(row.key) !== null) await this.refreshParked(row.reaction);
      // Moved while it ran (a new version): the new schedule stands.
      await connection.execute('delete from timers where id = ? and version = ?', [row.id, row.version]);
    } catch (error) {
      this.observer?.failed(row.reaction, 'timer');
      const message = errorText(error);
      if (row.attempts >= this.config.maxAttempts) {
        this.logger.error({ err: error, reaction: row.reaction, timer: row.key, attempts: row.attempts }, 'reaction parked a timer after its last attempt');
        const gone = await connection.execute<{ id: string }[]>('delete from timers where id = ? and version = ? returning id::text as id', [row.id, row.version]);
        if (gone.length > 0) {
          await connection.execute('insert into reaction_parked (reaction, timer_key, tenant_id, payload, attempts, error) values (?, ?, ?, ?::jsonb, ?, ?)', [
            row.reaction,
            row.key,
            row.tenant_id,
            JSON.stringify(timer.payload),
            row.attempts,
            message,
          ]);
          await this.refreshParked(row.reaction);
        }
        return;
      }
      this.logger.warn({ err: error, reaction: row.reaction, timer: row.key, attempts: row.attempts }, 'timer failed; retrying it');
      // The lease's end is the retry time: no node claims it before.
      await connection.execute(`update timers set lease_owner = null, lease_until = now() + ? * interval '1 millisecond', last_error = ? where id = ? and version = ?`, [
        this.retryDelayMs(row.attempts),
        message,
        row.id,
        row.version,
      ]);
    }
  }

  /** A timer's work: the reaction's own `fire`, or a parked event sent back to `handle` (parked.ts). */
  private async runTimer(reaction: Reaction, timer: DueTimer): Promise<void> {
    const eventId = retriedEventId(timer.key);
    if (eventId === null) {
      if (!reaction.fire) throw new Error(`reaction ${reaction.name} has a timer but no fire`);
      return reaction.fire(timer);
    }
    if (!reaction.handle) throw new Error(`reaction ${reaction.name} handles no events`);
    const event = (await this.load([eventId])).get(eventId);
    // Pruned meanwhile: nothing is left to retry.
    if (event) await reaction.handle(event);
  }

  private async refreshParked(name: string): Promise<void> {
    const [row] = await this.orm.em.fork().getConnection().execute<{ parked: string }[]>('select count(*)::text as parked from reaction_parked where reaction = ?', [name]);
    this.observer?.parked(name, Number(row?.parked ?? 0));
  }

  private retryDelayMs(attempts: number): number {
    return Math.min(this.config.retryBaseMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  }

  /** A handler gets half a lease: past that another node could take its work over, so it counts as failed. */
  private async withinLease(work: Promise<void>): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => reject(new HandlerTimeout(`handler ran longer than ${this.config.leaseMs / 2} ms`)), this.config.leaseMs / 2);
    });
    try {
      await Promise.race([work, limit]);
    } finally {
      clearTimeout(timeout);
    }
  }
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_LENGTH);
}
