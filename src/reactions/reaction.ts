import type { PublishedEvent, SessionEventType } from '../model/event-contract.js';

/**
 * A named consumer of the outbox and of its own durable timers. Everything that must follow a
 * committed event (or happen at a time) is one of these, registered in one line
 * (app/reactions.ts); the runner (reaction-runner.ts) gives each its own checkpoint, shares the
 * work between nodes through leases, retries with backoff and parks what keeps failing.
 *
 * Delivery is at least once: after a node dies mid-event, or a handler outlives its lease, the
 * event (or timer) runs again. Handlers make their effect idempotent (a unique key, a state check).
 */
export interface Reaction {
  /** Stable: it keys the checkpoint and the timers. A new name starts near the outbox's head: below the oldest transaction still running when it is first prepared, so no late commit is passed over. */
  readonly name: string;
  /** The event types `handle` is given; the runner passes over the others. */
  readonly events?: readonly SessionEventType[];
  /** Reacts to one committed event. Throwing retries it (in order: later events wait). */
  handle?(event: PublishedEvent): Promise<void>;
  /** A timer of this reaction is due (scheduled with `schedule(db, { reaction: name, … })`). Throwing retries it. */
  fire?(timer: DueTimer): Promise<void>;
}

/** A timer as its reaction gets it. */
export interface DueTimer {
  reaction: string;
  key: string;
  tenantId: string | null;
  dueAt: Date;
  payload: Record<string, unknown>;
  /** 1 on the first run; more after failures or a takeover from a node that died. */
  attempt: number;
}

/** What the runner reports (observability/metrics.ts implements it as Prometheus metrics). */
export interface ReactionObserver {
  handled(reaction: string, kind: 'event' | 'timer'): void;
  failed(reaction: string, kind: 'event' | 'timer'): void;
  /** Seconds between an event's commit and its reaction finishing it (0 when caught up). */
  lag(reaction: string, seconds: number): void;
  parked(reaction: string, count: number): void;
}
