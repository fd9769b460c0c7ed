import { TestEnvironment } from 'jest-environment-node';

/**
 * Jest's Node environment, plus one rule: an unhandled rejection or an uncaught exception
 * anywhere in the test process fails the test that was running (or the file, when no test
 * was). The server runs in-process, so this is where a floating promise on a request or
 * upgrade path shows up — the bug that once let one malformed URL end the process.
 *
 * Listeners go on the real process (this module runs outside the test's sandbox, where
 * `process.on` would be a no-op), after jest-circus installs its own at `run_start`.
 */
export default class FailOnUnhandledEnvironment extends TestEnvironment {
  /** @type {unknown[]} */
  pending = [];

  /** @param {unknown} error */
  record = (error) => {
    this.pending.push(error);
  };

  /** @param {string} kind */
  take(kind) {
    // Errors thrown in the sandbox are of another realm's Error: read them, do not instanceof them.
    return this.pending.splice(0).map((error) => {
      const { message, stack } = typeof error === 'object' && error !== null ? /** @type {{ message?: string; stack?: string }} */ (error) : {};
      return Object.assign(new Error(`${kind}: ${message ?? String(error)}`), { stack: `${kind}: ${stack ?? message ?? String(error)}` });
    });
  }

  /** @param {{ name: string; test?: { errors: unknown[] } }} event @param {{ unhandledErrors: unknown[] }} state */
  async handleTestEvent(event, state) {
    if (event.name === 'run_start') {
      process.on('unhandledRejection', this.record);
      process.on('uncaughtException', this.record);
    } else if (event.name === 'test_done' && event.test) {
      event.test.errors.push(...this.take('Unhandled rejection or uncaught exception while this test ran'));
    } else if (event.name === 'run_finish') {
      process.off('unhandledRejection', this.record);
      process.off('uncaughtException', this.record);
      state.unhandledErrors.push(...this.take('Unhandled rejection or uncaught exception outside any test'));
    }
  }
}
