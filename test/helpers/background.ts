import type { TestServer } from './server.js';

/**
 * Waits until the server's background work has caught up: every reaction's checkpoint is past the
 * outbox, and no durable timer is due by `deskNow` (a test that moved the desk's clock passes its
 * time; by default the database's now). A test that asserts something did NOT happen waits for this first, so the absence
 * is a fact and not a race. Fails with what is still pending after `timeoutMs`.
 */
export async function settled(t: TestServer, deskNow: Date | null = null, timeoutMs = 15_000): Promise<void> {
  const connection = t.server.orm.em.fork().getConnection();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = (await connection.execute(
      `select (select count(*) from reaction_checkpoints c where exists (select 1 from session_events e where (e.tx, e.id) > (c.tx, c.event_id)))::int as reactions,
              (select count(*) from timers where due_at <= coalesce(?::timestamptz, now()))::int as timers`,
      [deskNow?.toISOString() ?? null],
    )) as { reactions: number; timers: number }[];
    if (row && row.reactions === 0 && row.timers === 0) return;
    if (Date.now() > deadline) throw new Error(`background work did not settle within ${timeoutMs} ms: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
