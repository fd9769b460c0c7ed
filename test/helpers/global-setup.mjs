import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * jest globalSetup: a directory for this run's migrated template database, which the first
 * test file to need it builds (helpers/database-template.ts). Workers inherit the variable.
 */
export default function globalSetup() {
  process.env.PARLEY_TEST_RUN_DIR = mkdtempSync(join(tmpdir(), 'parley-test-run-'));
}
