/**
 * The desk's clock: "now" for what the desk measures against the calendar — when sessions start
 * and end, when messages and events are written, when durable timers are due, and what SLA
 * clocks, business hours, auto-replies, auto-close and the widget's "open now" read.
 *
 * It is the system clock. Outside production, a server started with TEST_CLOCK=true lets a test
 * move it forward (`PUT /testing/clock`, http/test-clock.ts), so a clock test can stand on a
 * daylight-saving night or a holiday and see what the desk does there, black-box. Credentials,
 * rate limits, leases and retries stay on the system clock: moving the desk a year ahead must
 * not expire the test's own sign-in.
 *
 * The offset belongs to the process: each node of a cluster is moved on its own.
 */
/** Ahead of the system clock by `offsetMs`, or standing still at `frozenAt` (a test placing messages to the millisecond). */
let setting: { offsetMs: number; frozenAt: number | null } = { offsetMs: 0, frozenAt: null };

/** Milliseconds since the epoch, on the desk's clock. */
export function deskNow(): number {
  return setting.frozenAt ?? Date.now() + setting.offsetMs;
}

/** The desk's now as a Date. */
export function deskDate(): Date {
  return new Date(deskNow());
}

/** How far the desk's clock is ahead of the system clock now (0 unless a test moved it). */
export function deskClockOffsetMs(): number {
  return deskNow() - Date.now();
}

export function deskClockFrozen(): boolean {
  return setting.frozenAt !== null;
}

/**
 * Moves the desk's clock so that now is `at`; it runs on from there, or stands still there when
 * `frozen`. Forward only: what the desk wrote before must not end up in its future, or histories
 * (message order, SLA cycles) would run backwards. Returns false, changing nothing, when `at` is
 * before the desk's now.
 */
export function moveDeskClock(at: number, frozen = false): boolean {
  if (!Number.isFinite(at) || at < deskNow()) return false;
  setting = frozen ? { offsetMs: 0, frozenAt: at } : { offsetMs: at - Date.now(), frozenAt: null };
  return true;
}
