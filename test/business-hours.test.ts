import { Temporal } from 'temporal-polyfill';
import { afterOpenTime, isOpenAt, type Opening, openingAtOrAfter, openTimeBetween, type Schedule, scheduleOf } from '../src/hours/schedule.js';
import { Tenant } from '../src/model/tenant.entity.js';
import { UserRole, Weekday } from '../src/shared/enums.js';
import { DomainError } from '../src/shared/errors.js';
import {
  AutoReplyDocument,
  BusinessHoursDocument,
  BusinessHoursOpenAtDocument,
  ClearBusinessHoursDocument,
  CreateSessionDocument,
  SendMessageDocument,
  SessionMessagesWithAutomaticDocument,
  SetAutoReplyDocument,
  SetBusinessHoursDocument,
  WidgetConfigDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { eventually } from './helpers/deadline.js';
import { type Actor, foreignTenantAdmin, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const HOUR = 3600_000;
/** An instant given as local wall time in a zone, e.g. at('Europe/Berlin', '2026-12-07T10:00'). */
const at = (timeZone: string, local: string) => Temporal.PlainDateTime.from(local).toZonedDateTime(timeZone).epochMilliseconds;
const schedule = (timeZone: string, weekly: Opening[], holidays: string[] = []): Schedule => scheduleOf({ timeZone, weekly, holidays });
const weekdays = (opens: string, closes: string): Opening[] => [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY].map((day) => ({ day, opens, closes }));
const refusal = (make: () => unknown) => {
  try {
    make();
  } catch (error) {
    if (error instanceof DomainError) return error.reason;
    throw error;
  }
  return 'accepted';
};

describe('business hours arithmetic (hours/schedule.ts)', () => {
  const berlin = schedule('Europe/Berlin', weekdays('09:00', '17:30'));

  it('is open inside an opening and closed at its end (2026-12-07 is a Monday)', () => {
    expect(isOpenAt(berlin, at('Europe/Berlin', '2026-12-07T08:59'))).toBe(false);
    expect(isOpenAt(berlin, at('Europe/Berlin', '2026-12-07T09:00'))).toBe(true);
    expect(isOpenAt(berlin, at('Europe/Berlin', '2026-12-07T17:29'))).toBe(true);
    expect(isOpenAt(berlin, at('Europe/Berlin', '2026-12-07T17:30'))).toBe(false);
    expect(isOpenAt(berlin, at('Europe/Berlin', '2026-12-12T12:00'))).toBe(false); // Saturday
    expect(openingAtOrAfter(berlin, at('Europe/Berlin', '2026-12-11T18:00'))).toEqual({ opensAt: at('Europe/Berlin', '2026-12-14T09:00'), closesAt: at('Europe/Berlin', '2026-12-14T17:30') });
  });

  it('runs an opening past midnight into the next day, around the end of the week too', () => {
    const nights = schedule('Europe/Berlin', [
      { day: Weekday.FRIDAY, opens: '22:00', closes: '06:00' },
      { day: Weekday.SUNDAY, opens: '23:00', closes: '01:00' },
    ]);
    expect(isOpenAt(nights, at('Europe/Berlin', '2026-12-11T21:59'))).toBe(false);
    expect(isOpenAt(nights, at('Europe/Berlin', '2026-12-12T03:00'))).toBe(true);
    expect(isOpenAt(nights, at('Europe/Berlin', '2026-12-12T06:00'))).toBe(false);
    expect(isOpenAt(nights, at('Europe/Berlin', '2026-12-14T00:30'))).toBe(true); // Monday, from Sunday's opening
    expect(openTimeBetween(nights, at('Europe/Berlin', '2026-12-07T00:00'), at('Europe/Berlin', '2026-12-14T00:00'))).toBe(
      // Friday night's 8 hours, the first hour of Monday (last Sunday's opening) and Sunday's 23:00–24:00.
      10 * HOUR,
    );
  });

  it('follows daylight saving in Europe/Berlin: a night opening lasts 7 hours in March and 9 in October', () => {
    const nights = schedule('Europe/Berlin', [{ day: Weekday.SATURDAY, opens: '22:00', closes: '06:00' }]);
    const march = openingAtOrAfter(nights, at('Europe/Berlin', '2026-03-28T12:00'))!;
    expect(march.closesAt! - march.opensAt).toBe(7 * HOUR);
    const october = openingAtOrAfter(nights, at('Europe/Berlin', '2026-10-24T12:00'))!;
    expect(october.closesAt! - october.opensAt).toBe(9 * HOUR);
    // A normal Saturday night, for contrast.
    const june = openingAtOrAfter(nights, at('Europe/Berlin', '2026-06-13T12:00'))!;
    expect(june.closesAt! - june.opensAt).toBe(8 * HOUR);
    // Office hours keep their wall-clock times on both sides of the switch.
    const office = schedule('Europe/Berlin', weekdays('09:00', '17:00'));
    expect(openingAtOrAfter(office, at('Europe/Berlin', '2026-03-27T18:00'))!.opensAt).toBe(Date.parse('2026-03-30T07:00:00Z'));
    expect(openingAtOrAfter(office, at('Europe/Berlin', '2026-03-26T18:00'))!.opensAt).toBe(Date.parse('2026-03-27T08:00:00Z'));
  });

  it('follows daylight saving in America/New_York: a skipped wall time starts after the gap, a repeated hour counts twice', () => {
    const spring = schedule('America/New_York', [{ day: Weekday.SUNDAY, opens: '02:30', closes: '04:00' }]);
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist; the opening starts at 03:30 EDT.
    const march = openingAtOrAfter(spring, at('America/New_York', '2026-03-07T12:00'))!;
    expect(march).toEqual({ opensAt: Date.parse('2026-03-08T07:30:00Z'), closesAt: Date.parse('2026-03-08T08:00:00Z') });
    const fall = schedule('America/New_York', [{ day: Weekday.SUNDAY, opens: '00:00', closes: '03:00' }]);
    // 2026-11-01: 01:00–02:00 happens twice, so three wall-clock hours last four.
    const november = openingAtOrAfter(fall, at('America/New_York', '2026-10-31T12:00'))!;
    expect(november.closesAt! - november.opensAt).toBe(4 * HOUR);
  });

  it('skips holidays: no opening starts on one, and the next open day is found past them', () => {
    const office = schedule('Europe/Berlin', weekdays('09:00', '17:00'), ['2026-12-24', '2026-12-25']);
    expect(isOpenAt(office, at('Europe/Berlin', '2026-12-24T10:00'))).toBe(false);
    expect(openingAtOrAfter(office, at('Europe/Berlin', '2026-12-23T18:00'))!.opensAt).toBe(at('Europe/Berlin', '2026-12-28T09:00'));
    // An opening that starts the evening before a holiday still runs into it.
    const nights = schedule('Europe/Berlin', [{ day: Weekday.WEDNESDAY, opens: '22:00', closes: '02:00' }], ['2026-12-24']);
    expect(isOpenAt(nights, at('Europe/Berlin', '2026-12-24T01:00'))).toBe(true);
  });

  it('counts open time forward, across nights, weekends and holidays', () => {
    const office = schedule('Europe/Berlin', weekdays('09:00', '17:00'), ['2026-12-14']);
    // Friday 16:00 + 2 open hours: one on Friday, the next on Tuesday (Monday is a holiday).
    expect(afterOpenTime(office, at('Europe/Berlin', '2026-12-11T16:00'), 2 * HOUR)).toBe(at('Europe/Berlin', '2026-12-15T10:00'));
    // From a closed moment, zero open time is the next opening.
    expect(afterOpenTime(office, at('Europe/Berlin', '2026-12-12T10:00'), 0)).toBe(at('Europe/Berlin', '2026-12-15T09:00'));
    // Forty open hours is five working days.
    expect(afterOpenTime(office, at('Europe/Berlin', '2026-12-15T09:00'), 40 * HOUR)).toBe(at('Europe/Berlin', '2026-12-21T17:00'));
    expect(afterOpenTime(schedule('UTC', []), Date.now(), HOUR)).toBeNull();
  });

  it('merges touching openings and treats round-the-clock as never closing', () => {
    const split = schedule('UTC', [
      { day: Weekday.MONDAY, opens: '12:00', closes: '17:00' },
      { day: Weekday.MONDAY, opens: '09:00', closes: '12:00' },
    ]);
    expect(split.openings.map((o) => o.opens)).toEqual(['09:00', '12:00']);
    expect(openingAtOrAfter(split, Date.parse('2026-12-07T10:00:00Z'))).toEqual({ opensAt: Date.parse('2026-12-07T10:00:00Z'), closesAt: Date.parse('2026-12-07T17:00:00Z') });
    const always = schedule(
      'UTC',
      Object.values(Weekday).map((day) => ({ day, opens: '00:00', closes: '24:00' })),
    );
    expect(openingAtOrAfter(always, Date.now())?.closesAt).toBeNull();
  });

  it('refuses what is not a schedule, naming why', () => {
    expect(refusal(() => schedule('+02:00', []))).toBe('UNKNOWN_TIME_ZONE');
    expect(refusal(() => schedule('Mars/Olympus_Mons', []))).toBe('UNKNOWN_TIME_ZONE');
    expect(scheduleOf({ timeZone: 'US/Eastern', weekly: [] }).timeZone).toBe('America/New_York');
    expect(refusal(() => schedule('UTC', [{ day: Weekday.MONDAY, opens: '25:00', closes: '26:00' }]))).toBe('INVALID_ARGUMENT');
    expect(refusal(() => schedule('UTC', [{ day: Weekday.MONDAY, opens: '9:00', closes: '17:00' }]))).toBe('INVALID_ARGUMENT');
    expect(refusal(() => schedule('UTC', [{ day: Weekday.MONDAY, opens: '24:00', closes: '02:00' }]))).toBe('INVALID_ARGUMENT');
    expect(refusal(() => schedule('UTC', [{ day: Weekday.MONDAY, opens: '09:00', closes: '09:00' }]))).toBe('EMPTY_OPENING');
    expect(
      refusal(() =>
        schedule('UTC', [
          { day: Weekday.MONDAY, opens: '09:00', closes: '13:00' },
          { day: Weekday.MONDAY, opens: '12:00', closes: '17:00' },
        ]),
      ),
    ).toBe('OVERLAPPING_OPENINGS');
    expect(
      refusal(() =>
        schedule('UTC', [
          { day: Weekday.SUNDAY, opens: '22:00', closes: '02:00' },
          { day: Weekday.MONDAY, opens: '01:00', closes: '03:00' },
        ]),
      ),
    ).toBe('OVERLAPPING_OPENINGS');
    expect(refusal(() => schedule('UTC', [], ['2026-02-30']))).toBe('INVALID_ARGUMENT');
    expect(
      refusal(() =>
        schedule(
          'UTC',
          Array.from({ length: 51 }, (_, i) => ({ day: Weekday.MONDAY, opens: `${String(Math.floor(i / 3)).padStart(2, '0')}:${String((i % 3) * 20).padStart(2, '0')}`, closes: '23:59' })),
        ),
      ),
    ).toBe('TOO_MANY');
  });
});

describe('business hours over GraphQL', () => {
  let t: TestServer;
  let admin: Actor;
  let staff: Actor;
  let customer: Actor;
  let foreign: Actor;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    customer = await userWithRole(t, admin, UserRole.USER);
    foreign = await foreignTenantAdmin(t);
  });
  afterAll(() => t.dispose());

  const reasonOf = async (result: Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>) => {
    const { errors } = await result;
    return errors ? `${errors[0]?.extensions?.code} ${errors[0]?.extensions?.reason ?? ''}`.trim() : 'OK';
  };

  it('admins set and clear them; everyone of the tenant reads them, guests included; other tenants never see them', async () => {
    expect((await ok(t.graphqlUrl, BusinessHoursDocument, {}, staff.token)).businessHours).toBeNull();
    const weekly = [
      { day: Weekday.FRIDAY, opens: '13:00', closes: '17:30' },
      { day: Weekday.MONDAY, opens: '09:00', closes: '12:00' },
      { day: Weekday.SATURDAY, opens: '22:00', closes: '02:00' },
    ];
    const { setBusinessHours: set } = await ok(t.graphqlUrl, SetBusinessHoursDocument, { timeZone: 'europe/berlin', weekly, holidays: ['2026-12-25', '2026-12-24', '2026-12-25'] }, admin.token);
    expect(set).toMatchObject({
      timeZone: 'Europe/Berlin',
      weekly: [weekly[1], weekly[0], weekly[2]],
      holidays: ['2026-12-24', '2026-12-25'],
    });
    const guest = await guestSession(t);
    for (const reader of [staff.token, customer.token, guest.token]) {
      expect((await ok(t.graphqlUrl, BusinessHoursDocument, {}, reader)).businessHours).toMatchObject({ timeZone: 'Europe/Berlin', holidays: ['2026-12-24', '2026-12-25'] });
    }
    expect((await ok(t.graphqlUrl, BusinessHoursDocument, {}, foreign.token)).businessHours).toBeNull();
    expect(await reasonOf(gql(t.graphqlUrl, BusinessHoursDocument, {}))).toBe('UNAUTHENTICATED AUTHENTICATION_REQUIRED');
    expect(await reasonOf(gql(t.graphqlUrl, SetBusinessHoursDocument, { timeZone: 'UTC', weekly: [] }, staff.token))).toBe('FORBIDDEN ADMIN_ONLY');
    expect(await reasonOf(gql(t.graphqlUrl, SetBusinessHoursDocument, { timeZone: 'UTC', weekly: [] }, guest.token))).toBe('FORBIDDEN GUEST_NOT_ALLOWED');
    expect(await reasonOf(gql(t.graphqlUrl, ClearBusinessHoursDocument, {}, customer.token))).toBe('FORBIDDEN ADMIN_ONLY');

    // Instants in the past and future are answered by the stored schedule (Monday 2026-12-07, Berlin).
    const openAt = await ok(t.graphqlUrl, BusinessHoursOpenAtDocument, { at: '2026-12-07T10:30:00+01:00', later: '2026-12-07T12:00:00+01:00' }, customer.token);
    expect(openAt.businessHours).toEqual({ timeZone: 'Europe/Berlin', at: true, later: false });

    expect((await ok(t.graphqlUrl, ClearBusinessHoursDocument, {}, admin.token)).clearBusinessHours).toBe(true);
    expect((await ok(t.graphqlUrl, BusinessHoursDocument, {}, staff.token)).businessHours).toBeNull();
    expect((await ok(t.graphqlUrl, ClearBusinessHoursDocument, {}, admin.token)).clearBusinessHours).toBe(false);
  });

  it('says whether the team is open now, and until or from when', async () => {
    const everyDay = Object.values(Weekday).map((day) => ({ day, opens: '00:00', closes: '24:00' }));
    const open = (await ok(t.graphqlUrl, SetBusinessHoursDocument, { timeZone: 'UTC', weekly: everyDay }, admin.token)).setBusinessHours;
    expect(open).toMatchObject({ openNow: true, nextOpenAt: null, closesAt: null });

    // Closed today and for two more days (UTC dates): open again at midnight after them.
    const day = (offset: number) => new Date(Date.now() + offset * 24 * HOUR).toISOString().slice(0, 10);
    const holidays = [day(0), day(1), day(2)];
    const closed = (await ok(t.graphqlUrl, SetBusinessHoursDocument, { timeZone: 'UTC', weekly: everyDay, holidays }, admin.token)).setBusinessHours;
    expect(closed.openNow).toBe(false);
    expect(closed.closesAt).toBeNull();
    // (The request may straddle midnight UTC, after which the third holiday is the last.)
    expect([`${day(3)}T00:00:00.000Z`, `${day(4)}T00:00:00.000Z`]).toContain(closed.nextOpenAt);
  });

  it('refuses bad schedules with the field and reason, and keeps the stored one', async () => {
    const weekly = [{ day: Weekday.MONDAY, opens: '09:00', closes: '17:00' }];
    await ok(t.graphqlUrl, SetBusinessHoursDocument, { timeZone: 'Asia/Tokyo', weekly }, admin.token);
    const cases: [Record<string, unknown>, string][] = [
      [{ timeZone: 'Not/AZone', weekly }, 'BAD_USER_INPUT UNKNOWN_TIME_ZONE'],
      [{ timeZone: '+09:00', weekly }, 'BAD_USER_INPUT UNKNOWN_TIME_ZONE'],
      [{ timeZone: 'UTC', weekly: [{ day: Weekday.MONDAY, opens: '9am', closes: '17:00' }] }, 'BAD_USER_INPUT INVALID_ARGUMENT'],
      [{ timeZone: 'UTC', weekly: [...weekly, { day: Weekday.MONDAY, opens: '16:00', closes: '18:00' }] }, 'BAD_USER_INPUT OVERLAPPING_OPENINGS'],
      [{ timeZone: 'UTC', weekly: [{ day: Weekday.MONDAY, opens: '10:00', closes: '10:00' }] }, 'BAD_USER_INPUT EMPTY_OPENING'],
      [{ timeZone: 'UTC', weekly: [{ day: 'FUNDAY', opens: '10:00', closes: '11:00' }] }, 'BAD_USER_INPUT'],
      [{ timeZone: 'UTC', weekly, holidays: ['2026-02-30'] }, 'BAD_USER_INPUT'],
    ];
    for (const [variables, expected] of cases) {
      const result = gql(t.graphqlUrl, SetBusinessHoursDocument, variables as never, admin.token);
      expect({ variables, answer: await reasonOf(result) }).toEqual({ variables, answer: expect.stringContaining(expected) });
    }
    const { errors } = await gql(t.graphqlUrl, SetBusinessHoursDocument, { timeZone: 'UTC', weekly: [...weekly, { day: Weekday.MONDAY, opens: '16:00', closes: '18:00' }] }, admin.token);
    expect(errors?.[0]?.extensions?.fields).toEqual({ weekly: expect.stringContaining('overlap') });
    expect((await ok(t.graphqlUrl, BusinessHoursDocument, {}, admin.token)).businessHours).toMatchObject({ timeZone: 'Asia/Tokyo', weekly });
  });
});

describe('out-of-hours auto-replies', () => {
  let t: TestServer;
  let admin: Actor;
  let staff: Actor;
  let customer: Actor;

  const everyDay = Object.values(Weekday).map((day) => ({ day, opens: '00:00', closes: '24:00' }));
  const utcDate = (offset: number) => new Date(Date.now() + offset * 24 * HOUR).toISOString().slice(0, 10);
  /** Open every day but today and the next two (UTC): closed now, for long enough to test. */
  const closeForNow = () => ok(t.graphqlUrl, SetBusinessHoursDocument, { timeZone: 'UTC', weekly: everyDay, holidays: [utcDate(-1), utcDate(0), utcDate(1), utcDate(2)] }, admin.token);
  const openForNow = () => ok(t.graphqlUrl, SetBusinessHoursDocument, { timeZone: 'UTC', weekly: everyDay }, admin.token);
  const messagesOf = async (sessionId: string, token: string) => await ok(t.graphqlUrl, SessionMessagesWithAutomaticDocument, { sessionId }, token);
  const automaticIn = async (sessionId: string, token: string) => (await messagesOf(sessionId, token)).messagesPage.items.filter((m) => m.automatic);

  beforeAll(async () => {
    t = await startTestServer({ env: { REACTIONS_POLL_INTERVAL_MS: '50' } });
    admin = await loginAdmin(t);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    customer = await userWithRole(t, admin, UserRole.USER);
  });
  afterAll(() => t.dispose());

  it('is set by admins, read by staff, and needs its text to be turned on', async () => {
    expect((await ok(t.graphqlUrl, AutoReplyDocument, {}, staff.token)).autoReply).toEqual({ enabled: false, outOfHours: null });
    const { errors } = await gql(t.graphqlUrl, SetAutoReplyDocument, { enabled: true }, admin.token);
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'BLANK' });
    expect((await gql(t.graphqlUrl, SetAutoReplyDocument, { enabled: true, outOfHours: 'x'.repeat(2001) }, admin.token)).errors?.[0]?.extensions?.reason).toBe('TOO_LONG');
    expect((await gql(t.graphqlUrl, SetAutoReplyDocument, { enabled: true, outOfHours: 'hi' }, staff.token)).errors?.[0]?.extensions?.reason).toBe('ADMIN_ONLY');
    expect((await gql(t.graphqlUrl, AutoReplyDocument, {}, customer.token)).errors?.[0]?.extensions?.reason).toBe('STAFF_ONLY');
    const on = await ok(t.graphqlUrl, SetAutoReplyDocument, { enabled: true, outOfHours: '  We are closed; we answer when we open.  ' }, admin.token);
    expect(on.setAutoReply).toEqual({ enabled: true, outOfHours: 'We are closed; we answer when we open.' });
    // Off keeps the text for the next time it is turned on.
    expect((await ok(t.graphqlUrl, SetAutoReplyDocument, { enabled: false }, admin.token)).setAutoReply).toEqual({ enabled: false, outOfHours: 'We are closed; we answer when we open.' });
    expect((await ok(t.graphqlUrl, SetAutoReplyDocument, { enabled: true }, admin.token)).setAutoReply.enabled).toBe(true);
  });

  it('answers a customer who writes while closed, once per closed period, as an automatic system message', async () => {
    await ok(t.graphqlUrl, SetAutoReplyDocument, { enabled: true, outOfHours: 'We are closed right now.' }, admin.token);
    await closeForNow();
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'night owl' }, customer.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'hello?' }, customer.token);
    const [reply] = await eventually(
      () => automaticIn(createSession.id, customer.token),
      (found) => found.length > 0,
      20_000,
      'the auto-reply',
    );
    expect(reply).toMatchObject({ content: 'We are closed right now.', senderType: 'SYSTEM', senderName: 'System', senderUserId: null, automatic: true, private: false });
    // It is news for the customer (unread), and staff see it too.
    expect((await messagesOf(createSession.id, customer.token)).session.unreadCount).toBe(1);
    // A second message in the same closed period gets no second reply; a guest's conversation gets its own.
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'anyone?' }, customer.token);
    const guest = await guestSession(t);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: guest.sessionId, content: 'hi from a guest' }, guest.token);
    await eventually(
      () => automaticIn(guest.sessionId, guest.token),
      (found) => found.length === 1,
      20_000,
      "the guest's auto-reply",
    );
    // Everything the customer wrote was handled by the reaction by now (events are handled in order); still one reply.
    expect(await automaticIn(createSession.id, customer.token)).toHaveLength(1);
  });

  /** Waits until the auto-reply reaction has handled every message of the session (its checkpoint passed them). */
  const handled = (sessionId: string) =>
    eventually(
      async () => {
        const [row] = await t.server.orm.em
          .fork()
          .getConnection()
          .execute<{ pending: number }[]>(
            `select count(*)::int as pending from session_events e, reaction_checkpoints c
              where c.name = 'auto-reply' and e.session_id = ? and e.type = 'message.created' and (e.tx, e.id) > (c.tx, c.event_id)`,
            [sessionId],
          );
        return Number(row?.pending ?? 1);
      },
      (pending) => pending === 0,
      20_000,
      `the auto-reply reaction past session ${sessionId}`,
    );

  it('stays silent while open and when turned off', async () => {
    await ok(t.graphqlUrl, SetAutoReplyDocument, { enabled: true, outOfHours: 'Closed.' }, admin.token);
    await openForNow();
    const open = (await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'daytime' }, customer.token)).createSession;
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: open.id, content: 'hello in the day' }, customer.token);
    await handled(open.id);
    expect(await automaticIn(open.id, customer.token)).toEqual([]);

    await closeForNow();
    await ok(t.graphqlUrl, SetAutoReplyDocument, { enabled: false }, admin.token);
    const off = (await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'off' }, customer.token)).createSession;
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: off.id, content: 'hello while off' }, customer.token);
    await handled(off.id);
    expect(await automaticIn(off.id, customer.token)).toEqual([]);
  });
});

describe('the widget config', () => {
  let t: TestServer;
  let admin: Actor;
  let staff: Actor;
  let customer: Actor;
  let widgetKey: string;
  const origin = 'https://shop.example';

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    customer = await userWithRole(t, admin, UserRole.USER);
    const em = t.server.orm.em.fork();
    const tenant = await em.findOneOrFail(Tenant, { id: t.server.defaultTenantId });
    tenant.allowedOrigins = [origin];
    await em.flush();
    widgetKey = tenant.widgetKey;
  });
  afterAll(() => t.dispose());

  it("tells a visitor whether the team is open and how soon a reply typically comes, under the widget's key and origin rule", async () => {
    const config = () => ok(t.graphqlUrl, WidgetConfigDocument, { widgetKey, origin });
    // No hours, no replies yet: open, no estimate.
    expect((await config()).widgetConfig).toMatchObject({ openNow: true, nextOpenAt: null, expectedReplySeconds: null });

    // One session answered after a measured wait gives the estimate.
    const sessionId = await assignedSessionWithReply();
    expect(sessionId).toBeTruthy();
    const open = (await config()).widgetConfig;
    expect(open.openNow).toBe(true);
    expect(open.expectedReplySeconds).toBeGreaterThanOrEqual(0);
    expect(open.expectedReplySeconds).toBeLessThan(60);

    // Closed for days: the estimate adds the time until the next opening.
    const everyDay = Object.values(Weekday).map((day) => ({ day, opens: '00:00', closes: '24:00' }));
    const day = (offset: number) => new Date(Date.now() + offset * 24 * HOUR).toISOString().slice(0, 10);
    await ok(t.graphqlUrl, SetBusinessHoursDocument, { timeZone: 'UTC', weekly: everyDay, holidays: [day(-1), day(0), day(1), day(2)] }, admin.token);
    const closed = (await config()).widgetConfig;
    expect(closed.openNow).toBe(false);
    const untilOpen = (Date.parse(closed.nextOpenAt!) - Date.now()) / 1000;
    expect(closed.expectedReplySeconds!).toBeGreaterThanOrEqual(Math.floor(untilOpen) - 5);
    expect(closed.expectedReplySeconds!).toBeLessThan(untilOpen + 120);

    expect((await gql(t.graphqlUrl, WidgetConfigDocument, { widgetKey: 'wk_notakeyatall', origin })).errors?.[0]?.extensions?.reason).toBe('INVALID_WIDGET_KEY');
    expect((await gql(t.graphqlUrl, WidgetConfigDocument, { widgetKey, origin: 'https://evil.example' })).errors?.[0]?.extensions?.reason).toBe('ORIGIN_NOT_ALLOWED');
  });

  async function assignedSessionWithReply(): Promise<string> {
    const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'estimate' }, customer.token);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'hi' }, customer.token);
    const em = t.server.orm.em.fork();
    await em.getConnection().execute('update chat_sessions set agent_id = ? where id = ?', [staff.userId, createSession.id]);
    await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createSession.id, content: 'hello!' }, admin.token);
    return createSession.id;
  }
});
