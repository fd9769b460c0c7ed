/**
 * Reactions for the runner's tests (test/reactions.test.ts and its node process,
 * reaction-node.mjs): each records its effect idempotently in `test_effects`, keyed by event id
 * or timer key, counting runs, so a test can tell "exactly once in effect" (one row) from "run
 * more than once" (runs > 1). `hang` reactions record that they started, then never finish: the
 * node running them is then killed.
 */

/** Creates the tables the effect reactions write (idempotent). */
export async function createEffectTables(connection) {
  await connection.execute('create table if not exists test_effects (reaction text not null, key text not null, runs int not null default 1, primary key (reaction, key))');
  await connection.execute('create table if not exists test_started (reaction text not null, key text not null, node text not null)');
}

/** A reaction to `message.created` events and to its own timers. mode: 'effect' | 'hang'. */
export function effectReaction(orm, name, mode, node = 'test') {
  const record = async (key) => {
    const connection = orm.em.fork().getConnection();
    if (mode === 'hang') {
      await connection.execute('insert into test_started (reaction, key, node) values (?, ?, ?)', [name, key, node]);
      await new Promise(() => undefined);
    }
    await connection.execute(
      'insert into test_effects (reaction, key) values (?, ?) on conflict (reaction, key) do update set runs = test_effects.runs + 1',
      [name, key],
    );
  };
  return {
    name,
    events: ['message.created'],
    handle: (event) => record(`event:${event.id}`),
    fire: (timer) => record(`timer:${timer.key}`),
  };
}
