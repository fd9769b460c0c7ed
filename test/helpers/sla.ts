import type { TestServer } from './server.js';

/** Plain SQL on the test server's database (what a test may not do through the API: move time). */
export const sqlOn = <T extends Record<string, unknown>[]>(t: TestServer, query: string, params: unknown[] = []) => t.server.orm.em.fork().getConnection().execute<T>(query, params);

/** Runs the SLA reaction's evaluation of the session (as its timer firing does). */
export const wakeSla = (t: TestServer, sessionId: string) =>
  sqlOn(
    t,
    `insert into timers (reaction, key, tenant_id, due_at, payload) select 'sla', ?, tenant_id, now(), jsonb_build_object('sessionId', id::text) from chat_sessions where id = ?
     on conflict (reaction, key) do update set due_at = now(), attempts = 0, lease_owner = null, lease_until = null`,
    [`${sessionId}:evaluate`, sessionId],
  );

/** Moves the session's past (its start and messages) `seconds` back, as if that much time had passed. */
export const backdateSession = async (t: TestServer, sessionId: string, seconds: number) => {
  await sqlOn(t, `update chat_sessions set started_at = started_at - make_interval(secs => ?) where id = ?`, [seconds, sessionId]);
  await sqlOn(t, `update chat_messages set created_at = created_at - make_interval(secs => ?) where session_id = ?`, [seconds, sessionId]);
};

/** Backdates the session and wakes its SLA clocks now. */
export const ageSession = async (t: TestServer, sessionId: string, seconds: number) => {
  await backdateSession(t, sessionId, seconds);
  await wakeSla(t, sessionId);
};
