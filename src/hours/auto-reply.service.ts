import { auditContextOf, audited, changes, settingsChange } from '../audit/audit-log.js';
import type { Scope } from '../db/scope.js';
import { Tenant } from '../model/tenant.entity.js';
import { UserRole } from '../shared/enums.js';
import { badInput } from '../shared/errors.js';
import { requireSupportStaff, requireUser } from '../shared/guards.js';
import { requireText } from '../shared/validate.js';

/** Longest auto-reply text: a short notice, not a letter. */
export const MAX_AUTO_REPLY_LENGTH = 2000;

export interface AutoReplySettings {
  readonly enabled: boolean;
  /** The text sent to a customer who writes while the team is closed. */
  readonly outOfHours: string | null;
}

/**
 * The tenant's out-of-hours auto-reply (docs/desk.md, "Business hours and auto-replies"): admins
 * set it, support staff and admins read it. The reply itself is sent by the auto-reply reaction.
 */
export class AutoReplyService {
  constructor(private readonly scope: Scope) {}

  async get(): Promise<AutoReplySettings> {
    const viewer = requireSupportStaff(this.scope.viewer);
    const tenant = await this.scope.em.findOneOrFail(Tenant, viewer.tenantId);
    return { enabled: tenant.autoReplyEnabled, outOfHours: tenant.autoReplyOutOfHours };
  }

  /** `outOfHours` absent keeps the stored text; turning it on needs a text, given now or before. */
  async set(input: { enabled: boolean; outOfHours?: string | null }): Promise<AutoReplySettings> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const text = input.outOfHours === undefined || input.outOfHours === null ? undefined : requireText(input.outOfHours, 'outOfHours', MAX_AUTO_REPLY_LENGTH);
    const tenant = await this.scope.em.findOneOrFail(Tenant, admin.tenantId);
    const outOfHours = text ?? tenant.autoReplyOutOfHours;
    if (input.enabled && !outOfHours) throw badInput('outOfHours', 'an auto-reply needs its text (outOfHours) to be turned on', 'BLANK');
    const before = { enabled: tenant.autoReplyEnabled, outOfHours: tenant.autoReplyOutOfHours };
    tenant.autoReplyEnabled = input.enabled;
    tenant.autoReplyOutOfHours = outOfHours;
    const after = { enabled: tenant.autoReplyEnabled, outOfHours: tenant.autoReplyOutOfHours };
    await audited(
      this.scope.em,
      auditContextOf(this.scope),
      async () => undefined,
      () => settingsChange('settings.auto_reply', changes(before, after)),
    );
    return { enabled: tenant.autoReplyEnabled, outOfHours: tenant.autoReplyOutOfHours };
  }
}
