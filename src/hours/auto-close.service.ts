import { auditContextOf, audited, changes, settingsChange } from '../audit/audit-log.js';
import type { Scope } from '../db/scope.js';
import { Tenant } from '../model/tenant.entity.js';
import { UserRole } from '../shared/enums.js';
import { requireSupportStaff, requireUser } from '../shared/guards.js';
import { intInRange, requireText } from '../shared/validate.js';
import { MAX_AUTO_REPLY_LENGTH } from './auto-reply.service.js';

/** The longest silence auto-close waits for: 90 days. */
export const MAX_AUTO_CLOSE_SECONDS = 90 * 24 * 3600;
export const DEFAULT_AUTO_CLOSE_MESSAGE = 'This conversation was closed because there was no reply. Write again any time to reopen the conversation with us.';

export interface AutoCloseSettings {
  /** Seconds of customer silence after a support reply that close a session; null: off. */
  readonly inactiveSeconds: number | null;
  /** The automatic message posted before the close. */
  readonly message: string;
}

/**
 * The tenant's auto-close (docs/desk.md, "Auto-close"): admins set it, support staff and admins
 * read it. The closing itself is the auto-close reaction's (hours/auto-close.reaction.ts).
 */
export class AutoCloseService {
  constructor(private readonly scope: Scope) {}

  async get(): Promise<AutoCloseSettings> {
    const viewer = requireSupportStaff(this.scope.viewer);
    return settingsOf(await this.scope.em.findOneOrFail(Tenant, viewer.tenantId));
  }

  /** `inactiveSeconds` null or 0 turns it off; `message` absent keeps the stored text. */
  async set(input: { inactiveSeconds?: number | null; message?: string | null }): Promise<AutoCloseSettings> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const seconds =
      input.inactiveSeconds === null || input.inactiveSeconds === undefined || input.inactiveSeconds === 0 ? null : intInRange(input.inactiveSeconds, 'inactiveSeconds', 60, MAX_AUTO_CLOSE_SECONDS, 0);
    const message = input.message === null || input.message === undefined ? undefined : requireText(input.message, 'message', MAX_AUTO_REPLY_LENGTH);
    const tenant = await this.scope.em.findOneOrFail(Tenant, admin.tenantId);
    const before = settingsOf(tenant);
    tenant.autoCloseSeconds = seconds;
    if (message !== undefined) tenant.autoCloseMessage = message;
    await audited(
      this.scope.em,
      auditContextOf(this.scope),
      async () => undefined,
      () => settingsChange('settings.auto_close', changes({ ...before }, { ...settingsOf(tenant) })),
    );
    return settingsOf(tenant);
  }
}

function settingsOf(tenant: Tenant): AutoCloseSettings {
  return { inactiveSeconds: tenant.autoCloseSeconds, message: tenant.autoCloseMessage ?? DEFAULT_AUTO_CLOSE_MESSAGE };
}
