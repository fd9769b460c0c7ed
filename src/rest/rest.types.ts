import type { Logger } from 'pino';
import type { OperationRunner } from './operation-runner.js';

/** What every dialect router is built from. */
export interface RestDeps {
  runner: OperationRunner;
  logger: Logger;
}
