/**
 * Waits that end in an assertion naming what was awaited and what was last seen, well before
 * Jest's own timeout (which names nothing).
 */

/** Calls `probe` every 250 ms until `done` accepts its value (returned), or fails after `timeoutMs` with `what` and the last value. */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000, what = 'the expected state'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`never reached ${what} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await probe();
  }
  return last;
}
