import { Temporal } from 'temporal-polyfill';
import { UserRole, Weekday } from '../src/shared/enums.js';
import {
  BusinessHoursDocument,
  CreateSlaPolicyDocument,
  DeleteSlaPolicyDocument,
  SendMessageDocument,
  SessionMessagesWithAutomaticDocument,
  SessionSlaDocument,
  SetAutoReplyDocument,
  SetBusinessHoursDocument,
  SlaPoliciesDocument,
  SnoozeSessionDocument,
  SnoozeStateDocument,
} from './generated/graphql.js';
import { settled } from './helpers/background.js';
import { ok } from './helpers/client.js';
import { eventually } from './helpers/deadline.js';
import { type Actor, assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * SLA clocks against the calendar, black-box: the server runs with TEST_CLOCK=true, and each
 * scenario stands the desk's clock (PUT /testing/clock) on the night or day it is about, frozen,
 * so sessions start and replies land on the exact millisecond. The clock only moves forward, so
 * the scenarios run in calendar order (2027).
 */

let t: TestServer;
let admin: Actor;
let staff: Actor;
let customer: Actor;

beforeAll(async () => {
  t = await startTestServer({ env: { TEST_CLOCK: 'true', REACTIONS_POLL_INTERVAL_MS: '50' } });
  admin = await loginAdmin(t);
  staff = await userWithRole(t, admin, UserRole.STAFF);
  customer = await userWithRole(t, admin, UserRole.USER);
});
afterAll(() => t.dispose());

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** An instant given as local wall time in a zone. */
const local = (timeZone: string, wall: string) => Temporal.PlainDateTime.from(wall).toZonedDateTime(timeZone).epochMilliseconds;
const iso = (ms: number) => new Date(ms).toISOString();

let deskNow = new Date();
/** Stands the desk's clock at `at`, frozen there. */
async function clockAt(at: number): Promise<void> {
  const response = await fetch(`${t.url}/testing/clock`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
    body: JSON.stringify({ now: iso(at), frozen: true }),
  });
  const body = (await response.json()) as { now: string };
  expect([response.status, body.now]).toEqual([200, iso(at)]);
  deskNow = new Date(at);
}
/** The background work (reactions, due timers) caught up with the desk's clock. */
const quiet = () => settled(t, deskNow);

const slaOf = async (sessionId: string) => (await ok(t.graphqlUrl, SessionSlaDocument, { id: sessionId }, admin.token)).session.sla;
const say = (sessionId: string, who: Actor, content: string) => ok(t.graphqlUrl, SendMessageDocument, { sessionId, content }, who.token);
const alertsOf = async (sessionId: string) =>
  (
    await t.server.orm.em
      .fork()
      .getConnection()
      .execute<{ type: string; metric: string; at: string }[]>(
        `select type, payload->>'metric' as metric, payload->>'at' as at from session_events where session_id = ? and type like 'sla.%' order by id`,
        [sessionId],
      )
  ).map((row) => [row.type, row.metric, iso(Date.parse(row.at))]);

async function policy(targets: { firstResponseSeconds?: number; nextResponseSeconds?: number; resolutionSeconds?: number; businessHoursOnly: boolean }): Promise<void> {
  for (const existing of (await ok(t.graphqlUrl, SlaPoliciesDocument, {}, admin.token)).slaPolicies) await ok(t.graphqlUrl, DeleteSlaPolicyDocument, { id: existing.id }, admin.token);
  await ok(t.graphqlUrl, CreateSlaPolicyDocument, { name: 'Desk', ...targets }, admin.token);
}
const hours = (timeZone: string, weekly: { day: Weekday; opens: string; closes: string }[], holidays: string[] = []) =>
  ok(t.graphqlUrl, SetBusinessHoursDocument, { timeZone, weekly, holidays }, admin.token);
const openSession = () => assignedSession(t, admin, customer, staff);

it('the clock is only for admins, only moves forward, and says so in JSON', async () => {
  const put = (body: unknown, token = admin.token) =>
    fetch(`${t.url}/testing/clock`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  expect((await put({ now: iso(Date.now() + HOUR) }, staff.token)).status).toBe(403);
  expect((await fetch(`${t.url}/testing/clock`, { method: 'PUT', body: '{}' })).status).toBe(401);
  const backwards = await put({ now: iso(Date.now() - HOUR) });
  expect([backwards.status, ((await backwards.json()) as { error: { reason: string } }).error.reason]).toEqual([409, 'CLOCK_BACKWARDS']);
  const bad = await put({ now: 'next tuesday' });
  expect([bad.status, ((await bad.json()) as { error: { fields: Record<string, string> } }).error.fields.now]).toEqual([400, expect.any(String)]);
  expect((await put({ advanceMs: -1 })).status).toBe(409);
  expect((await put({ now: iso(Date.now() + 20 * 366 * 24 * HOUR) })).status).toBe(400);
  expect((await fetch(`${t.url}/testing/clock`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` }, body: '{' })).status).toBe(400);
  const read = await fetch(`${t.url}/testing/clock`, { headers: { authorization: `Bearer ${admin.token}` } });
  expect(await read.json()).toMatchObject({ offsetMs: expect.any(Number), frozen: false });
});

it('counts an opening that runs past midnight, and carries what is left to the next week', async () => {
  const berlin = 'Europe/Berlin';
  await hours(berlin, [{ day: Weekday.FRIDAY, opens: '22:00', closes: '02:00' }]);
  await policy({ firstResponseSeconds: 150 * 60, businessHoursOnly: true });

  await clockAt(local(berlin, '2027-01-08T23:00')); // a Friday
  const lateFriday = await openSession();
  expect((await slaOf(lateFriday))?.firstResponseDueAt).toBe(iso(local(berlin, '2027-01-09T01:30')));
  await clockAt(local(berlin, '2027-01-09T01:00'));
  const pastMidnight = await openSession();
  // One hour left of this opening, then next Friday's from 22:00.
  expect((await slaOf(pastMidnight))?.firstResponseDueAt).toBe(iso(local(berlin, '2027-01-15T23:30')));

  await clockAt(local(berlin, '2027-01-09T01:31'));
  await eventually(
    () => alertsOf(lateFriday),
    (alerts) => alerts.length === 2,
    20_000,
    'the warning and the breach',
  );
  expect(await alertsOf(lateFriday)).toEqual([
    ['sla.warning', 'FIRST_RESPONSE', iso(local(berlin, '2027-01-09T01:00'))],
    ['sla.breached', 'FIRST_RESPONSE', iso(local(berlin, '2027-01-09T01:30'))],
  ]);
  await quiet();
  expect(await alertsOf(pastMidnight)).toEqual([]);
});

it('skips a holiday: closed all day, the out-of-hours reply goes out, and the clock waits for the next open day', async () => {
  const berlin = 'Europe/Berlin';
  const weekdays = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY].map((day) => ({ day, opens: '09:00', closes: '17:00' }));
  await hours(berlin, weekdays, ['2027-01-18']);
  await ok(t.graphqlUrl, SetAutoReplyDocument, { enabled: true, outOfHours: 'We are closed today.' }, admin.token);
  await policy({ firstResponseSeconds: 2 * 3600, businessHoursOnly: true });

  await clockAt(local(berlin, '2027-01-15T16:00')); // a Friday: one open hour left
  const sessionId = await openSession();
  await say(sessionId, customer, 'Are you there?');
  const due = local(berlin, '2027-01-19T10:00'); // Monday the 18th is a holiday
  expect((await slaOf(sessionId))?.firstResponseDueAt).toBe(iso(due));

  await clockAt(local(berlin, '2027-01-18T12:00'));
  expect((await ok(t.graphqlUrl, BusinessHoursDocument, {}, customer.token)).businessHours).toMatchObject({ openNow: false, nextOpenAt: iso(local(berlin, '2027-01-19T09:00')) });
  await say(sessionId, customer, 'Hello again?');
  const automatic = await eventually(
    async () => (await ok(t.graphqlUrl, SessionMessagesWithAutomaticDocument, { sessionId }, staff.token)).messagesPage.items.filter((message) => message.automatic),
    (messages) => messages.length > 0,
    20_000,
    'the out-of-hours reply on the holiday',
  );
  expect(automatic.map((message) => message.content)).toContain('We are closed today.');
  await quiet();
  expect(await alertsOf(sessionId)).toEqual([]);

  await clockAt(due + 1000);
  await eventually(
    () => alertsOf(sessionId),
    (alerts) => alerts.length === 2,
    20_000,
    'the warning and the breach',
  );
  expect(await alertsOf(sessionId)).toEqual([
    ['sla.warning', 'FIRST_RESPONSE', iso(local(berlin, '2027-01-19T09:36'))],
    ['sla.breached', 'FIRST_RESPONSE', iso(due)],
  ]);
  expect((await slaOf(sessionId))?.breaches).toEqual([{ metric: 'FIRST_RESPONSE', at: iso(due) }]);
  await ok(t.graphqlUrl, SetAutoReplyDocument, { enabled: false }, admin.token);
});

it.each([
  // The wall clock jumps 02:00 → 03:00: a night opening 00:00–06:00 holds 5 real hours.
  { zone: 'America/New_York', weekly: [{ day: Weekday.SUNDAY, opens: '00:00', closes: '06:00' }], start: '2027-03-14T00:30', targetMinutes: 180, due: '2027-03-14T08:30:00.000Z' },
  // Saturday 22:00 to Sunday 06:00 across the spring switch: 7 real hours.
  { zone: 'Europe/Berlin', weekly: [{ day: Weekday.SATURDAY, opens: '22:00', closes: '06:00' }], start: '2027-03-27T22:00', targetMinutes: 390, due: '2027-03-28T03:30:00.000Z' },
  // The wall clock repeats 01:00–02:00: Saturday 23:00 to Sunday 06:00 holds 8 real hours.
  { zone: 'America/New_York', weekly: [{ day: Weekday.SATURDAY, opens: '23:00', closes: '06:00' }], start: '2027-11-06T23:00', targetMinutes: 450, due: '2027-11-07T10:30:00.000Z' },
])('counts real open time across the daylight-saving switch in $zone on $due', async ({ zone, weekly, start, targetMinutes, due }) => {
  await hours(zone, weekly);
  await policy({ firstResponseSeconds: targetMinutes * 60, businessHoursOnly: true });
  await clockAt(local(zone, start));
  const sessionId = await openSession();
  expect((await slaOf(sessionId))?.firstResponseDueAt).toBe(due);

  await clockAt(Date.parse(due) - 1);
  await eventually(
    () => alertsOf(sessionId),
    (alerts) => alerts.length === 1,
    20_000,
    'the warning',
  );
  await quiet();
  expect((await alertsOf(sessionId)).map(([type]) => type)).toEqual(['sla.warning']);
  await clockAt(Date.parse(due) + 60_000);
  await eventually(
    () => alertsOf(sessionId),
    (alerts) => alerts.length === 2,
    20_000,
    'the breach',
  );
  expect((await alertsOf(sessionId))[1]).toEqual(['sla.breached', 'FIRST_RESPONSE', due]);
});

it('pauses while waiting on the customer, resumes when they write, and a reply 1 ms before the due time is on time', async () => {
  await policy({ firstResponseSeconds: 600, nextResponseSeconds: 600, resolutionSeconds: 3600, businessHoursOnly: false });
  const t0 = Date.parse('2027-12-06T10:00:00.000Z');
  await clockAt(t0);
  const sessionId = await openSession();
  await say(sessionId, customer, 'My order is late');
  expect(await slaOf(sessionId)).toMatchObject({ firstResponseDueAt: iso(t0 + 10 * MINUTE), resolutionDueAt: iso(t0 + HOUR), nextResponseDueAt: null });

  await clockAt(t0 + 5 * MINUTE);
  await say(sessionId, staff, 'Looking into it: which order?');
  // Waiting on the customer: the resolution clock stands (55 minutes left), nothing is due.
  expect(await slaOf(sessionId)).toMatchObject({ firstResponseDueAt: null, nextResponseDueAt: null, resolutionDueAt: null });
  await clockAt(t0 + 2 * HOUR);
  await quiet();
  expect(await alertsOf(sessionId)).toEqual([]);

  await say(sessionId, customer, 'Order 1042');
  const nextDue = t0 + 2 * HOUR + 10 * MINUTE;
  expect(await slaOf(sessionId)).toMatchObject({ nextResponseDueAt: iso(nextDue), resolutionDueAt: iso(t0 + 2 * HOUR + 55 * MINUTE) });

  await clockAt(nextDue - 1);
  await say(sessionId, staff, 'Found it, it ships today');
  await clockAt(t0 + 5 * HOUR);
  await quiet();
  // The next-response warning came at 80 %; the reply 1 ms before the due time is no breach, and
  // the resolution clock stood again from that reply (45 minutes and 1 ms left).
  expect(await alertsOf(sessionId)).toEqual([['sla.warning', 'NEXT_RESPONSE', iso(t0 + 2 * HOUR + 8 * MINUTE)]]);
  expect((await slaOf(sessionId))?.breaches).toEqual([]);

  await say(sessionId, customer, 'Thanks! One more thing');
  const resolutionDue = t0 + 5 * HOUR + 45 * MINUTE + 1;
  expect((await slaOf(sessionId))?.resolutionDueAt).toBe(iso(resolutionDue));
  await clockAt(resolutionDue + MINUTE);
  await eventually(
    () => alertsOf(sessionId),
    (alerts) => alerts.some(([type, metric]) => type === 'sla.breached' && metric === 'RESOLUTION'),
    20_000,
    'the resolution breach',
  );
  await quiet();
  expect((await alertsOf(sessionId)).filter(([type]) => type === 'sla.breached')).toEqual([
    ['sla.breached', 'NEXT_RESPONSE', iso(t0 + 5 * HOUR + 10 * MINUTE)],
    ['sla.breached', 'RESOLUTION', iso(resolutionDue)],
  ]);
});

it('stands still while snoozed, and runs on from the wake when the snooze runs out', async () => {
  await policy({ firstResponseSeconds: 1800, resolutionSeconds: 3600, businessHoursOnly: false });
  const t0 = Date.parse('2027-12-13T09:00:00.000Z');
  await clockAt(t0);
  const sessionId = await openSession();
  await say(sessionId, customer, 'Call me back after lunch?');
  await clockAt(t0 + 10 * MINUTE);
  await ok(t.graphqlUrl, SnoozeSessionDocument, { sessionId, until: iso(t0 + 3 * HOUR) }, staff.token);
  expect(await slaOf(sessionId)).toMatchObject({ firstResponseDueAt: null, resolutionDueAt: null });

  // Past the first-response due time the clock would have had unsnoozed: nothing.
  await clockAt(t0 + 2 * HOUR);
  await quiet();
  expect(await alertsOf(sessionId)).toEqual([]);

  const woke = t0 + 3 * HOUR + 1000;
  await clockAt(woke);
  await eventually(
    async () => (await ok(t.graphqlUrl, SnoozeStateDocument, { id: sessionId }, staff.token)).session.status,
    (status) => status === 'ACTIVE',
    20_000,
    'the wake when the snooze ran out',
  );
  // 10 minutes were used before the snooze: 20 and 50 are left from the wake.
  expect(await slaOf(sessionId)).toMatchObject({ firstResponseDueAt: iso(woke + 20 * MINUTE), resolutionDueAt: iso(woke + 50 * MINUTE) });
  await clockAt(woke + 21 * MINUTE);
  await eventually(
    () => alertsOf(sessionId),
    (alerts) => alerts.some(([type]) => type === 'sla.breached'),
    20_000,
    'the first-response breach',
  );
  expect((await alertsOf(sessionId)).filter(([type]) => type === 'sla.breached')).toEqual([['sla.breached', 'FIRST_RESPONSE', iso(woke + 20 * MINUTE)]]);
});
