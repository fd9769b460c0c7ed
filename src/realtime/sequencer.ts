import type { PublishedEvent } from '../model/event-contract.js';
import { DomainError } from '../shared/errors.js';

/** Rows read per outbox query; a long catch-up pages through the outbox in sequence order. */
export const OUTBOX_BATCH = 500;

/**
 * An early event waits this long for the ones before it to arrive live (they are usually a
 * publish or two behind, from another node) before the stream reads them from the outbox.
 */
export const GAP_GRACE_MS = 150;

/** Reads committed events with position in (after, upTo] (upTo null: all), in order, at most OUTBOX_BATCH. */
export type OutboxReader = (after: bigint, upTo: bigint | null) => Promise<PublishedEvent[]>;

export const eventsPruned = () => new DomainError('EVENTS_PRUNED', 'Events this stream still needs are past the retention window; reload and subscribe again');

/**
 * Puts one stream's events in sequence order, exactly once. Positions are contiguous (1, 2, 3, …
 * per session, or per tenant inbox) and commit in order, so an event at position n proves that
 * every position below n is committed: a gap is never "maybe later", it is "read it from the
 * outbox". Live events ahead of the next position wait in `early` until the gap is filled — by
 * the missing events arriving live within GAP_GRACE_MS, or by `fill`.
 */
export class Sequencer {
  private readonly early = new Map<bigint, PublishedEvent>();

  constructor(
    /** Position of the last event delivered (or skipped as before the stream's start). */
    public position: bigint,
    private readonly positionOf: (event: PublishedEvent) => bigint | null,
  ) {}

  /** Whether events are waiting for a gap to be filled. */
  get waiting(): boolean {
    return this.early.size > 0;
  }

  /** A live event: what may be delivered now, in order (nothing for a duplicate or an early one). */
  accept(event: PublishedEvent): PublishedEvent[] {
    const position = this.positionOf(event);
    if (position === null) return [event];
    if (position <= this.position) return [];
    if (position !== this.position + 1n) {
      this.early.set(position, event);
      return [];
    }
    this.position = position;
    return [event, ...this.drainEarly()];
  }

  /**
   * Reads what is missing from the outbox: up to the furthest early event, or (`all`) everything
   * committed after the position (pub/sub was interrupted; nothing says how much was lost).
   */
  async fill(read: OutboxReader, all: boolean): Promise<PublishedEvent[]> {
    const upTo = all ? null : this.furthestEarly();
    // Nothing moves until every read succeeded: a failed fill (database away) can simply be retried.
    let position = this.position;
    const out: PublishedEvent[] = [];
    for (;;) {
      if (upTo !== null && position >= upTo) break;
      const batch = await read(position, upTo);
      for (const event of batch) {
        const at = this.positionOf(event);
        if (at === null || at <= position) continue;
        // Contiguous and committed, so only pruning leaves a hole.
        if (at !== position + 1n) throw eventsPruned();
        position = at;
        out.push(event);
      }
      if (batch.length < OUTBOX_BATCH) break;
    }
    this.position = position;
    out.push(...this.drainEarly());
    return out;
  }

  private furthestEarly(): bigint | null {
    let furthest: bigint | null = null;
    for (const position of this.early.keys()) if (furthest === null || position > furthest) furthest = position;
    return furthest;
  }

  private drainEarly(): PublishedEvent[] {
    const out: PublishedEvent[] = [];
    for (;;) {
      const next = this.early.get(this.position + 1n);
      if (!next) break;
      this.early.delete(this.position + 1n);
      this.position += 1n;
      out.push(next);
    }
    for (const position of this.early.keys()) if (position <= this.position) this.early.delete(position);
    return out;
  }
}
