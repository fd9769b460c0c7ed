import { auditContextOf, audited, changes, settingsChange } from '../audit/audit-log.js';
import type { Db } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import { BusinessHours } from '../model/business-hours.entity.js';
import { Tenant } from '../model/tenant.entity.js';
import { deskNow } from '../shared/desk-clock.js';
import { UserRole } from '../shared/enums.js';
import { unauthenticated } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { isOpenAt, type Opening, openingAtOrAfter, type Schedule, scheduleOf } from './schedule.js';

/** A tenant's schedule, for the desk's own work (auto-replies, SLA clocks), whatever tenant `em` is scoped to; null: open around the clock. */
export async function loadSchedule(em: Db, tenantId: string): Promise<Schedule | null> {
  const row = await em.findOne(BusinessHours, { tenant: tenantId }, { filters: false });
  return row ? { timeZone: row.timeZone, openings: row.openings, holidays: row.holidays } : null;
}

/** What a reader gets: the schedule and where "now" stands in it. */
export interface BusinessHoursView {
  readonly schedule: Schedule;
  readonly updatedAt: Date;
  readonly openNow: boolean;
  /** When closed: the start of the next opening (null: it never opens). When open: null. */
  readonly nextOpenAt: Date | null;
  /** When open: when this opening ends (null: not within eight days, as around the clock). When closed: null. */
  readonly closesAt: Date | null;
}

export interface BusinessHoursInput {
  timeZone: string;
  weekly: readonly Opening[];
  holidays?: readonly string[] | null;
}

/** What an audit entry shows of a tenant's hours. */
const hoursFields = (row: BusinessHours) => ({ timeZone: row.timeZone, openings: row.openings.map((opening) => ({ ...opening })), holidays: [...row.holidays] });

/**
 * A tenant's business hours (docs/desk.md, "Business hours"). Admins set and clear them; anyone
 * signed in to the tenant, guests included (a visitor may ask whether the team is open), reads
 * them. No row means open around the clock, so `get` answers null.
 */
export class BusinessHoursService {
  constructor(
    private readonly scope: Scope,
    private readonly now: () => number = deskNow,
  ) {}

  async get(): Promise<BusinessHoursView | null> {
    const viewer = this.scope.viewer;
    if (viewer.kind === 'anonymous') throw unauthenticated();
    const row = await this.scope.em.findOne(BusinessHours, { tenant: viewer.tenantId });
    return row ? this.view(row) : null;
  }

  async set(input: BusinessHoursInput): Promise<BusinessHoursView> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const schedule = scheduleOf(input);
    const em = this.scope.em;
    const existing = await em.findOne(BusinessHours, { tenant: admin.tenantId });
    const before = existing ? hoursFields(existing) : {};
    const row = existing ?? em.create(BusinessHours, { tenant: em.getReference(Tenant, admin.tenantId), timeZone: schedule.timeZone, openings: [], holidays: [] });
    row.timeZone = schedule.timeZone;
    row.openings = schedule.openings.map((opening) => ({ ...opening }));
    row.holidays = [...schedule.holidays];
    row.updatedAt = new Date();
    await audited(
      em,
      auditContextOf(this.scope),
      async () => undefined,
      () => settingsChange('settings.business_hours', changes(before, hoursFields(row))),
    );
    return this.view(row);
  }

  /** Back to always open; false when there were no hours to clear. */
  async clear(): Promise<boolean> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const existing = await this.scope.em.findOne(BusinessHours, { tenant: admin.tenantId });
    if (!existing) return false;
    const before = hoursFields(existing);
    const removed = await audited(
      this.scope.em,
      auditContextOf(this.scope),
      () => this.scope.em.nativeDelete(BusinessHours, { tenant: admin.tenantId }),
      (count) => (count > 0 ? settingsChange('settings.business_hours', changes(before, {})) : null),
    );
    return removed > 0;
  }

  private view(row: BusinessHours): BusinessHoursView {
    const schedule: Schedule = { timeZone: row.timeZone, openings: row.openings, holidays: row.holidays };
    const now = this.now();
    const openNow = isOpenAt(schedule, now);
    const opening = openingAtOrAfter(schedule, now);
    return {
      schedule,
      updatedAt: row.updatedAt,
      openNow,
      nextOpenAt: !openNow && opening ? new Date(opening.opensAt) : null,
      closesAt: openNow && opening?.closesAt ? new Date(opening.closesAt) : null,
    };
  }
}
