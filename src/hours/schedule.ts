import { Temporal } from 'temporal-polyfill';
import { Weekday } from '../shared/enums.js';
import { badInput } from '../shared/errors.js';

/**
 * Business hours as a weekly schedule in one IANA time zone, and the arithmetic the desk needs on
 * it: is it open at an instant, when does it next open, and when has a given amount of open time
 * passed (SLA clocks that count open hours only). Pure: no database, no clock of its own.
 *
 * Every answer is computed in the schedule's zone with Temporal, so daylight-saving changes fall
 * where they do locally: an opening at a wall time that does not exist that day (02:30 on a
 * spring-forward night) starts at the first instant after the gap, and an opening across a
 * switch lasts its real length (22:00–06:00 is 7 or 9 hours on those nights).
 */

/** Index + 1 is Temporal's `dayOfWeek`. */
export const WEEKDAYS: readonly Weekday[] = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY, Weekday.SATURDAY, Weekday.SUNDAY];

/** One opening on a weekday, wall clock `HH:MM`. `closes` at or before `opens` runs past midnight into the next day; `24:00` closes at midnight. */
export interface Opening {
  readonly day: Weekday;
  readonly opens: string;
  readonly closes: string;
}

export interface Schedule {
  /** IANA name, canonical spelling (`Europe/Berlin`, `UTC`). */
  readonly timeZone: string;
  /** Sorted by weekday, then opening time; never overlapping (adjacent ones are allowed). */
  readonly openings: readonly Opening[];
  /** Local dates (`YYYY-MM-DD`), ascending: openings that would start on them do not happen. */
  readonly holidays: readonly string[];
}

export const MAX_OPENINGS = 50;
export const MAX_HOLIDAYS = 400;
const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** How far ahead an answer is searched for: a schedule with openings opens within a week, unless holidays fill the days. */
const SEARCH_DAYS = 2 * 366 + 7;
const WINDOW_DAYS = 14;

function minutesOf(time: string, field: string, allowMidnightEnd: boolean): number {
  if (allowMidnightEnd && time === '24:00') return MINUTES_PER_DAY;
  const match = TIME.exec(time);
  if (!match) throw badInput(field, `${field} must be a time HH:MM from 00:00 to 23:59${allowMidnightEnd ? ' (or 24:00)' : ''}, got "${time.slice(0, 20)}"`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** The canonical IANA name of a zone, or a refusal: offsets such as `+02:00` are no time zone (they ignore daylight saving). */
export function canonicalTimeZone(timeZone: string): string {
  if (typeof timeZone !== 'string' || timeZone.length === 0 || timeZone.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) {
    throw badInput('timeZone', 'timeZone must be an IANA time zone name such as Europe/Berlin', 'UNKNOWN_TIME_ZONE');
  }
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    throw badInput('timeZone', `timeZone "${timeZone}" is not an IANA time zone name such as Europe/Berlin`, 'UNKNOWN_TIME_ZONE');
  }
}

/** Where an opening lies in the week, in minutes from Monday 00:00 (end may pass the week's end). */
function weekSpan(opening: Opening): [number, number] {
  const day = WEEKDAYS.indexOf(opening.day);
  const opens = minutesOf(opening.opens, 'weekly.opens', false);
  const closes = minutesOf(opening.closes, 'weekly.closes', true);
  const length = closes > opens ? closes - opens : closes + MINUTES_PER_DAY - opens;
  const start = day * MINUTES_PER_DAY + opens;
  return [start, start + length];
}

/** Checks and normalises what an admin sends; every refusal names its field. */
export function scheduleOf(input: { timeZone: string; weekly: readonly Opening[]; holidays?: readonly string[] | null }): Schedule {
  const timeZone = canonicalTimeZone(input.timeZone);
  if (input.weekly.length > MAX_OPENINGS) throw badInput('weekly', `weekly may have at most ${MAX_OPENINGS} openings`, 'TOO_MANY');
  const openings = input.weekly.map((opening) => {
    if (!WEEKDAYS.includes(opening.day)) throw badInput('weekly.day', 'weekly.day must be a weekday');
    weekSpan(opening);
    // Equal times could mean no time or a whole day; a whole day is said 00:00–24:00, and only that way.
    if (opening.opens === opening.closes) throw badInput('weekly.closes', `an opening on ${opening.day} opens and closes at ${opening.opens}: use 00:00–24:00 for a whole day`, 'EMPTY_OPENING');
    return { day: opening.day, opens: opening.opens, closes: opening.closes };
  });
  openings.sort((a, b) => weekSpan(a)[0] - weekSpan(b)[0]);
  // Openings may touch but not overlap, around the end of the week too (Sunday night into Monday).
  for (let i = 0; i < openings.length && openings.length > 1; i++) {
    const current = weekSpan(openings[i]!);
    const next = weekSpan(openings[(i + 1) % openings.length]!);
    const nextStart = i + 1 < openings.length ? next[0] : next[0] + MINUTES_PER_WEEK;
    if (current[1] > nextStart) {
      const other = openings[(i + 1) % openings.length]!;
      throw badInput('weekly', `openings overlap: ${openings[i]!.day} ${openings[i]!.opens}–${openings[i]!.closes} and ${other.day} ${other.opens}–${other.closes}`, 'OVERLAPPING_OPENINGS');
    }
  }
  const holidays = [...new Set(input.holidays ?? [])];
  if (holidays.length > MAX_HOLIDAYS) throw badInput('holidays', `holidays may list at most ${MAX_HOLIDAYS} dates`, 'TOO_MANY');
  for (const date of holidays) {
    let valid = DATE.test(date);
    if (valid) {
      try {
        valid = Temporal.PlainDate.from(date, { overflow: 'reject' }).toString() === date;
      } catch {
        valid = false;
      }
    }
    if (!valid) throw badInput('holidays', `holidays must be dates YYYY-MM-DD, got "${String(date).slice(0, 20)}"`);
  }
  holidays.sort();
  return { timeZone, openings, holidays };
}

/** [start, end) in epoch milliseconds. */
export type Interval = readonly [number, number];

function instantAt(date: Temporal.PlainDate, minutes: number, timeZone: string): number {
  const day = minutes >= MINUTES_PER_DAY ? date.add({ days: 1 }) : date;
  const rest = minutes % MINUTES_PER_DAY;
  const time = new Temporal.PlainTime(Math.floor(rest / 60), rest % 60);
  // 'compatible': a wall time skipped by a spring-forward starts after the gap; a repeated one is its first occurrence.
  return day.toZonedDateTime({ timeZone, plainTime: time }).epochMilliseconds;
}

/** The open intervals that overlap [from, to), merged where they touch, in order. */
export function openIntervals(schedule: Schedule, from: number, to: number): Interval[] {
  if (schedule.openings.length === 0 || to <= from) return [];
  const holidays = new Set(schedule.holidays);
  // Start a day early: an opening of the day before may run past midnight into the range.
  let date = Temporal.Instant.fromEpochMilliseconds(from).toZonedDateTimeISO(schedule.timeZone).toPlainDate().subtract({ days: 1 });
  const last = Temporal.Instant.fromEpochMilliseconds(to).toZonedDateTimeISO(schedule.timeZone).toPlainDate();
  const intervals: [number, number][] = [];
  for (; Temporal.PlainDate.compare(date, last) <= 0; date = date.add({ days: 1 })) {
    if (holidays.has(date.toString())) continue;
    const weekday = WEEKDAYS[date.dayOfWeek - 1];
    for (const opening of schedule.openings) {
      if (opening.day !== weekday) continue;
      const opens = minutesOf(opening.opens, 'opens', false);
      const closes = minutesOf(opening.closes, 'closes', true);
      const start = instantAt(date, opens, schedule.timeZone);
      const end = instantAt(date, closes > opens ? closes : closes + MINUTES_PER_DAY, schedule.timeZone);
      // An opening entirely inside a spring-forward gap has no length that day.
      if (end > start && end > from && start < to) intervals.push([start, end]);
    }
  }
  intervals.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const interval of intervals) {
    const previous = merged[merged.length - 1];
    if (previous && interval[0] <= previous[1]) previous[1] = Math.max(previous[1], interval[1]);
    else merged.push([interval[0], interval[1]]);
  }
  return merged;
}

/** Walks open intervals from `from` on, a window at a time, as far as an answer can lie. */
function* intervalsFrom(schedule: Schedule, from: number): Generator<Interval> {
  const windowMs = WINDOW_DAYS * 24 * 3600_000;
  const limit = from + SEARCH_DAYS * 24 * 3600_000;
  let yieldedUpTo = from;
  for (let start = from; start < limit; start += windowMs) {
    for (const [open, close] of openIntervals(schedule, start, start + windowMs)) {
      // An interval that spans two windows comes back from both: hand out each stretch of time once.
      if (close <= yieldedUpTo) continue;
      const begin = Math.max(open, yieldedUpTo);
      yieldedUpTo = close;
      yield [begin, close];
    }
  }
}

export function isOpenAt(schedule: Schedule, at: number): boolean {
  return openIntervals(schedule, at, at + 1).some(([start, end]) => start <= at && at < end);
}

/** Past this, an opening (touching ones merged) counts as never closing: a schedule open around the clock. */
const LONGEST_OPENING_MS = 8 * 24 * 3600_000;

/**
 * The opening `at` falls in (from `at`), or the next one; null when the schedule never opens.
 * `closesAt` merges openings that touch, and is null when no close comes within eight days.
 */
export function openingAtOrAfter(schedule: Schedule, at: number): { opensAt: number; closesAt: number | null } | null {
  let opensAt: number | null = null;
  let closesAt = 0;
  for (const [start, end] of intervalsFrom(schedule, at)) {
    if (opensAt === null) opensAt = start;
    else if (start > closesAt) break;
    closesAt = end;
    if (closesAt - opensAt > LONGEST_OPENING_MS) return { opensAt, closesAt: null };
  }
  return opensAt === null ? null : { opensAt, closesAt };
}

/** Open time (ms) in [from, to). */
export function openTimeBetween(schedule: Schedule, from: number, to: number): number {
  let total = 0;
  for (const [start, end] of intervalsFrom(schedule, from)) {
    if (start >= to) break;
    total += Math.min(end, to) - start;
  }
  return total;
}

/** The instant at which `ms` of open time has passed since `from`; null when the schedule never gets there. */
export function afterOpenTime(schedule: Schedule, from: number, ms: number): number | null {
  let remaining = ms;
  let cursor = from;
  // Long targets (a resolution due in weeks of open hours) go beyond one search horizon: continue from where it ended.
  for (let round = 0; round < 100; round++) {
    let progressed = false;
    for (const [start, end] of intervalsFrom(schedule, cursor)) {
      progressed = true;
      if (end - start >= remaining) return start + remaining;
      remaining -= end - start;
      cursor = end;
    }
    if (!progressed) return null;
  }
  return null;
}
