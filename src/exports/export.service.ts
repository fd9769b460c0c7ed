import { type AuditAction, appendAudit, auditContextOf } from '../audit/audit-log.js';
import type { ExportLinkClaims, TokenService } from '../auth/tokens.js';
import type { Config } from '../config/config.js';
import type { Scope } from '../db/scope.js';
import { ReportKind, UserRole } from '../shared/enums.js';
import { badInput, forbidden } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { StatsService } from '../stats/stats.service.js';
import { agentsReport, auditReport, messagesReport, type ReportRange, sessionsReport, slaReport } from './reports.js';

/** How long an export link works: long enough to start the download, short enough that a leaked link soon dies. */
export const EXPORT_LINK_TTL_SECONDS = 600;
/** The longest range one export may cover. */
export const MAX_EXPORT_RANGE_DAYS = 366;

const DAY_MS = 24 * 3600 * 1000;

export interface ExportArgs {
  kind: ReportKind;
  /** Rows at or after this instant (inclusive). */
  from: Date;
  /** … and before this one (exclusive). */
  to: Date;
}

export interface ExportLink {
  /** Where to GET the CSV: absolute on PUBLIC_URL, root-relative otherwise. No Authorization needed: the link is signed. */
  url: string;
  expiresAt: Date;
}

/** A report ready to stream: its download name, and its CSV in chunks (header row first). */
export interface ExportDownload {
  fileName: string;
  chunks: AsyncGenerator<string>;
}

/** `2026-12-01T00:00:00.000Z` → `20261201T000000Z`: an instant as a file name can hold it. */
const compactInstant = (date: Date) =>
  date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');

export const exportFileName = (kind: ReportKind, from: Date, to: Date) => `parley-${kind.toLowerCase()}-${compactInstant(from)}-${compactInstant(to)}.csv`;

/**
 * CSV report exports, for admins of the tenant only. `request` checks the caller and the range
 * and signs a short-lived link naming tenant, admin (and their token version), report and range;
 * `download` is what the link serves, re-checked against the database when it is used: an admin
 * who was removed, demoted or signed out everywhere since gets nothing.
 */
export class ExportService {
  constructor(
    private readonly scope: Scope,
    private readonly deps: { tokens: TokenService; config: Pick<Config, 'publicUrl'> },
  ) {}

  /** An export's audit entry: an act of its own (nothing else is written), committed alone. */
  private async record(action: ExportAction, kind: ReportKind, from: Date, to: Date): Promise<void> {
    const entry = { action, target: { type: 'export', id: kind }, diff: { kind: { after: kind }, from: { after: from.toISOString() }, to: { after: to.toISOString() } } };
    await this.scope.em.transactional((tx) => appendAudit(tx, auditContextOf(this.scope), entry));
  }

  async request(args: ExportArgs): Promise<ExportLink> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const { kind, from, to } = checkRange(args);
    const [row] = await this.scope.em.execute<{ token_version: number }[]>('select token_version from users where tenant_id = ? and id = ?', [admin.tenantId, admin.userId]);
    if (!row) throw forbidden('ADMIN_ONLY');
    const token = await this.deps.tokens.issueExportToken(
      { sub: admin.userId, tid: admin.tenantId, ver: Number(row.token_version), kind, from: from.getTime(), to: to.getTime() },
      EXPORT_LINK_TTL_SECONDS,
    );
    // The link is the export: whoever holds it may download the report until it expires.
    await this.record('export.created', kind, from, to);
    return { url: `${this.deps.config.publicUrl ?? ''}/exports/${token}.csv`, expiresAt: new Date(Date.now() + EXPORT_LINK_TTL_SECONDS * 1000) };
  }

  /**
   * The report a verified link names, for its admin (this scope's viewer, read fresh from the
   * link's claims). Each use of the link is recorded: a link may be used more than once until it
   * expires, and a download is where the data leaves.
   */
  async download(claims: ExportLinkClaims): Promise<ExportDownload> {
    const admin = requireUser(this.scope.viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
    const kind = Object.values(ReportKind).find((value) => value === claims.kind);
    if (kind === undefined || admin.tenantId !== claims.tid) throw forbidden('INVALID_EXPORT_LINK', 'The export link is not valid');
    const range: ReportRange = { tenantId: admin.tenantId, from: new Date(claims.from), to: new Date(claims.to) };
    const { em } = this.scope;
    await this.record('export.downloaded', kind, range.from, range.to);
    const chunks =
      kind === ReportKind.SESSIONS
        ? sessionsReport(em, range)
        : kind === ReportKind.MESSAGES
          ? messagesReport(em, range)
          : kind === ReportKind.SLA
            ? slaReport(em, range, Date.now())
            : kind === ReportKind.AUDIT
              ? auditReport(em, range)
              : agentsReport(async () => (await new StatsService(this.scope).compute({ from: range.from, to: range.to, agentId: null })).agents);
    return { fileName: exportFileName(kind, range.from, range.to), chunks };
  }
}

type ExportAction = Extract<AuditAction, `export.${string}`>;

function checkRange({ kind, from, to }: ExportArgs): ExportArgs {
  for (const [field, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw badInput(field, `${field} must be a date-time`);
  }
  if (from.getTime() >= to.getTime()) throw badInput('to', 'to must be later than from');
  if (to.getTime() - from.getTime() > MAX_EXPORT_RANGE_DAYS * DAY_MS) throw badInput('to', `An export covers at most ${MAX_EXPORT_RANGE_DAYS} days`);
  return { kind, from, to };
}
