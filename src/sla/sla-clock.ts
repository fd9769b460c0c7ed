import { afterOpenTime, openTimeBetween, type Schedule } from '../hours/schedule.js';
import type { SlaMetric } from '../model/event-contract.js';

/**
 * SLA clocks as a pure function of a session's history: no database, no clock of its own. The
 * SLA reaction and `Session.sla` both call it, so what the timers fire on and what a reader sees
 * are one computation, recomputed from the session's messages at every transition (nothing about
 * a clock is stored but its alerts).
 *
 * A clock runs over intervals and counts their length (only their open time when the policy is
 * `businessHoursOnly`, by the tenant's schedule; no schedule: always open). It reaches a
 * threshold at the instant its count reaches the threshold's share of the target; an interval
 * that ends at that very instant (a reply landing on the due time) ends before it.
 */

export type SlaAlertKind = 'WARNING' | 'BREACH';
/** The share of the target at which the warning comes. */
export const WARNING_SHARE = 0.8;

export interface SlaTargets {
  firstResponseSeconds: number | null;
  nextResponseSeconds: number | null;
  resolutionSeconds: number | null;
  businessHoursOnly: boolean;
}

/** A message as the clocks see it: a customer message or a support reply (notes, automatic and bot messages are neither). */
export interface ClockMessage {
  side: 'customer' | 'support';
  at: number;
}

export interface ClockSession {
  startedAt: number;
  /** Null while open. */
  endedAt: number | null;
  /** Customer and support messages, in order. */
  messages: readonly ClockMessage[];
  /** When the session was snoozed, in order and apart: [snoozed, woke) (woke null: snoozed now). Every clock pauses for them. */
  snoozes?: readonly Interval[];
}

/** One metric's clock in its current cycle. */
export interface Clock {
  metric: SlaMetric;
  /** Names the cycle: '0' for first response and resolution, the wait's start (ISO) for next response. */
  cycle: string;
  /** When the warning and the breach are (were) reached; null: not reached and not on the way (stopped or paused before it, or never open). */
  warningAt: number | null;
  dueAt: number | null;
  /** When the clock would be due had its last interval not ended (what a warning names as its due time); null: never (the schedule never opens). */
  projectedDueAt: number | null;
  /** Whether the clock is counting now (not met, not paused, not closed). */
  running: boolean;
}

/** [from, to): to null while it runs on. */
export type Interval = readonly [number, number | null];

/**
 * The clocks of a session under `targets` as of `now`:
 * - FIRST_RESPONSE runs from the session's start to the first support reply.
 * - NEXT_RESPONSE runs, once the first reply was given, from each customer message that opens a
 *   wait (the customer writes while the desk owes nothing) to the support reply that ends it;
 *   only the latest wait is a clock (earlier ones were judged when they ended).
 * - RESOLUTION runs from the start to the close, paused from each support reply until the
 *   customer writes again (waiting on the customer).
 * - Snoozes pause every clock: their intervals are cut out of the running ones (a clock snoozed
 *   now is paused, so it has no due time). FIRST_RESPONSE too, when the desk snoozed before its
 *   first reply: a snooze is the desk's decision to wait, the same for every metric (as the issue
 *   says: clocks pause while snoozed), and the wake (the customer writing, or its time) resumes it.
 */
export function clocksOf(session: ClockSession, targets: SlaTargets, schedule: Schedule | null, now: number): Clock[] {
  const measure = (from: number, to: number) => (targets.businessHoursOnly && schedule ? openTimeBetween(schedule, from, to) : Math.max(0, to - from));
  const reach = (from: number, ms: number) => (targets.businessHoursOnly && schedule ? afterOpenTime(schedule, from, ms) : from + ms);
  const end = session.endedAt;
  const clocks: Clock[] = [];
  const pauses = session.snoozes ?? [];
  const clock = (metric: SlaMetric, cycle: string, intervals: readonly Interval[], targetSeconds: number) =>
    clockOver(metric, cycle, withoutPauses(intervals, pauses), targetSeconds, measure, reach, now);

  const firstReply = session.messages.find((message) => message.side === 'support')?.at ?? null;
  if (targets.firstResponseSeconds !== null) {
    clocks.push(clock('FIRST_RESPONSE', '0', [[session.startedAt, firstReply ?? end]], targets.firstResponseSeconds));
  }

  if (targets.nextResponseSeconds !== null && firstReply !== null) {
    let wait: Interval | null = null;
    for (const message of session.messages) {
      if (message.at < firstReply) continue;
      if (message.side === 'customer' && (wait === null || wait[1] !== null)) wait = [message.at, null];
      else if (message.side === 'support' && wait !== null && wait[1] === null) wait = [wait[0], message.at];
    }
    if (wait !== null) clocks.push(clock('NEXT_RESPONSE', new Date(wait[0]).toISOString(), [[wait[0], wait[1] ?? end]], targets.nextResponseSeconds));
  }

  if (targets.resolutionSeconds !== null) {
    const running: [number, number | null][] = [[session.startedAt, null]];
    for (const message of session.messages) {
      const last = running[running.length - 1]!;
      if (message.side === 'support' && last[1] === null) last[1] = Math.max(last[0], message.at);
      else if (message.side === 'customer' && last[1] !== null) running.push([message.at, null]);
    }
    const last = running[running.length - 1]!;
    if (end !== null && last[1] === null) last[1] = Math.max(last[0], end);
    clocks.push(clock('RESOLUTION', '0', running, targets.resolutionSeconds));
  }
  return clocks;
}

/** The intervals with the pauses (in order, apart) cut out of them. */
export function withoutPauses(intervals: readonly Interval[], pauses: readonly Interval[]): Interval[] {
  if (pauses.length === 0) return [...intervals];
  const out: Interval[] = [];
  for (const [from, to] of intervals) {
    let start: number | null = from;
    for (const [pauseFrom, pauseTo] of pauses) {
      if (start === null) break;
      if (to !== null && pauseFrom >= to) break;
      if (pauseTo !== null && pauseTo <= start) continue;
      if (pauseFrom > start) out.push([start, pauseFrom]);
      start = pauseTo === null ? null : Math.max(start, pauseTo);
    }
    // An interval no pause touched stays as it was (even one of no length).
    if (start !== null && (to === null || start < to || start === from)) out.push([start, to]);
  }
  return out;
}

function clockOver(
  metric: SlaMetric,
  cycle: string,
  intervals: readonly Interval[],
  targetSeconds: number,
  measure: (from: number, to: number) => number,
  reach: (from: number, ms: number) => number | null,
  now: number,
): Clock {
  const target = targetSeconds * 1000;
  const last = intervals[intervals.length - 1];
  return {
    metric,
    cycle,
    warningAt: reachedAt(intervals, Math.round(target * WARNING_SHARE), measure, reach),
    dueAt: reachedAt(intervals, target, measure, reach),
    projectedDueAt: last === undefined ? null : reachedAt([...intervals.slice(0, -1), [last[0], null]], target, measure, reach),
    running: last !== undefined && last[1] === null && last[0] <= now,
  };
}

/** The instant the intervals' count reaches `ms`, or null when they stop short of it. */
function reachedAt(intervals: readonly Interval[], ms: number, measure: (from: number, to: number) => number, reach: (from: number, ms: number) => number | null): number | null {
  let left = ms;
  for (const [from, to] of intervals) {
    if (to === null) return reach(from, left);
    const length = measure(from, to);
    if (left < length) return reach(from, left);
    left -= length;
  }
  return null;
}
