import { eventually } from './deadline.js';
import type { TestServer } from './server.js';

/**
 * SQL tools for SLA tests: clocks pass without waiting by moving a session's history back in
 * time, then waking its clocks as a timer firing would (what a test may not do through the API).
 */

/** Plain SQL on the test server's database. */
export const sqlOn = <T extends Record<string, unknown>[]>(t: TestServer, query: string, params: unknown[] = []) => t.server.orm.em.fork().getConnection().execute<T>(query, params);

/** Runs the SLA reaction's evaluation of the session (as its timer firing does). */
export const wakeSla = (t: TestServer, sessionId: string) =>
  sqlOn(
    t,
    `insert into timers (reaction, key, tenant_id, due_at, payload) select 'sla', ?, tenant_id, now(), jsonb_build_object('sessionId', id::text) from chat_sessions where id = ?
     on conflict (reaction, key) do update set due_at = now(), attempts = 0, lease_owner = null, lease_until = null`,
    [`${sessionId}:evaluate`, sessionId],
  );

/** Moves the session's past (its start, messages and close) `seconds` back, as if that much time had passed. */
export const backdateSession = async (t: TestServer, sessionId: string, seconds: number) => {
  await sqlOn(t, `update chat_sessions set started_at = started_at - make_interval(secs => ?), ended_at = ended_at - make_interval(secs => ?) where id = ?`, [seconds, seconds, sessionId]);
  await sqlOn(t, `update chat_messages set created_at = created_at - make_interval(secs => ?) where session_id = ?`, [seconds, sessionId]);
};

/** Backdates the session and wakes its SLA clocks now. */
export const ageSession = async (t: TestServer, sessionId: string, seconds: number) => {
  await backdateSession(t, sessionId, seconds);
  await wakeSla(t, sessionId);
};

/** The same tools bound to a test file's server (`server` is read on each call: files start theirs in beforeAll). */
export function slaTools(server: () => TestServer) {
  const sql = <T extends Record<string, unknown>[]>(query: string, params: unknown[] = []) => sqlOn<T>(server(), query, params);
  const wake = (sessionId: string) => wakeSla(server(), sessionId);
  const age = (sessionId: string, seconds: number) => ageSession(server(), sessionId, seconds);
  const alertsOf = (sessionId: string) =>
    sql<{ type: string; metric: string }[]>(`select type, payload->>'metric' as metric from session_events where session_id = ? and type like 'sla.%' order by id`, [sessionId]);
  const timersOf = (sessionId: string) => sql<{ key: string; due_at: Date }[]>(`select key, due_at from timers where reaction = 'sla' and key like ? order by key`, [`${sessionId}:%`]);
  /** Resolves once the session's wake-up has been evaluated. */
  const evaluated = (sessionId: string, what = 'the evaluation') =>
    eventually(
      () => timersOf(sessionId),
      (timers) => !timers.some((timer) => timer.key.endsWith(':evaluate')),
      20_000,
      what,
    );
  /** Resolves once the session has an `sla.*` event of `type` for `metric`. */
  const alerted = (sessionId: string, type: 'sla.warning' | 'sla.breached', metric?: string) =>
    eventually(
      () => alertsOf(sessionId),
      (alerts) => alerts.some((alert) => alert.type === type && (metric === undefined || alert.metric === metric)),
      20_000,
      `${type}${metric ? ` ${metric}` : ''}`,
    );
  const clearPolicies = () => sql(`delete from sla_policies where tenant_id = ?`, [server().server.defaultTenantId]);
  return { sql, wake, age, alertsOf, timersOf, evaluated, alerted, clearPolicies };
}
