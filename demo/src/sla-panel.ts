import type { ParleyClient } from '@parley/client';
import { el, toast } from './dom.js';
import { DemoSessionSlaDocument, type DemoSessionSlaQuery, type SlaMetric } from './generated/graphql.js';

type Sla = NonNullable<NonNullable<DemoSessionSlaQuery['session']>['sla']>;

const METRICS: { metric: SlaMetric; label: string; due: (sla: Sla) => string | null | undefined }[] = [
  { metric: 'FIRST_RESPONSE', label: 'First response', due: (sla) => sla.firstResponseDueAt },
  { metric: 'NEXT_RESPONSE', label: 'Next response', due: (sla) => sla.nextResponseDueAt },
  { metric: 'RESOLUTION', label: 'Resolution', due: (sla) => sla.resolutionDueAt },
];

/** Relative due times are redrawn this often, so "in 4 min" turns into "overdue" on its own. */
const TICK_MS = 15_000;

/**
 * The open conversation's service level (`Session.sla`): its policy, each clock's due time
 * relative to now (the exact time in the title) and a badge per breached metric. The server
 * computes the clocks from the history; the panel only reads them again when something may have
 * moved them: a message, or a session change (SLA_WARNING / SLA_BREACHED arrive as those).
 */
export class SlaPanel {
  private sessionId: string | null = null;
  private sla: Sla | null = null;
  /** Answers to an older request (another session, or an earlier change) are dropped. */
  private asked = 0;

  constructor(
    private readonly client: ParleyClient,
    private readonly root: HTMLElement,
  ) {
    // The console lives as long as the page: so does its clock.
    setInterval(() => this.render(), TICK_MS);
  }

  show(sessionId: string): void {
    if (sessionId !== this.sessionId) {
      this.sessionId = sessionId;
      this.sla = null;
      this.root.replaceChildren();
    }
    this.refresh();
  }

  refresh(): void {
    const sessionId = this.sessionId;
    if (sessionId === null) return;
    const ask = ++this.asked;
    this.client
      .request(DemoSessionSlaDocument, { id: sessionId })
      .then(({ session }) => {
        if (ask !== this.asked) return;
        this.sla = session?.sla ?? null;
        this.render();
      })
      .catch((error: Error) => toast(`Could not load the SLA: ${error.message}`));
  }

  private render(): void {
    if (this.sessionId === null) return;
    const sla = this.sla;
    this.root.hidden = false;
    if (sla === null) {
      this.root.replaceChildren(el('span', { className: 'policy', 'data-testid': 'sla-policy' }, 'No SLA policy'));
      return;
    }
    const breached = new Set(sla.breaches.map((breach) => breach.metric));
    const now = Date.now();
    this.root.replaceChildren(
      el('span', { className: 'policy', 'data-testid': 'sla-policy' }, `SLA · ${sla.policy.name}`),
      ...METRICS.map(({ metric, label, due }) => {
        const at = due(sla) ?? null;
        const when = at === null ? '—' : relative(Date.parse(at) - now);
        return el(
          'span',
          { className: `metric${at !== null && Date.parse(at) <= now ? ' overdue' : ''}`, 'data-testid': 'sla-metric', 'data-metric': metric },
          `${label} `,
          el('span', { className: 'due', 'data-testid': 'sla-due', title: at === null ? 'No running clock: met, paused or no target' : new Date(at).toLocaleString() }, when),
          breached.has(metric) ? el('span', { className: 'breach', 'data-testid': 'sla-breach', title: `${label} target breached` }, 'Breached') : '',
        );
      }),
    );
  }
}

/** "in 4 min", "3 min overdue", "in 2 h 5 min", "in 3 d". */
export function relative(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 1) return ms >= 0 ? 'in under a minute' : 'just overdue';
  const span = minutes < 60 ? `${minutes} min` : minutes < 48 * 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${Math.round(minutes / 1440)} d`;
  return ms >= 0 ? `in ${span}` : `${span} overdue`;
}
