import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildTemplate, claimTemplate } from './template-builder.mjs';

/** dist/ has every migration compiled after its source last changed (`npm test` builds first). */
function compiledIsCurrent(root) {
  const sources = join(root, 'src/db/migrations');
  const compiled = join(root, 'dist/src/db/migrations');
  if (!existsSync(compiled)) return false;
  return readdirSync(sources)
    .filter((file) => file.endsWith('.ts'))
    .every((file) => {
      const output = join(compiled, file.replace(/\.ts$/, '.js'));
      return existsSync(output) && statSync(output).mtimeMs >= statSync(join(sources, file)).mtimeMs;
    });
}

/**
 * jest globalSetup: a directory for this run's migrated template database
 * (helpers/database-template.ts), which workers find through the variable they inherit. With a
 * current dist/ it is built here, before any test and outside every test's timeout; otherwise
 * the first test file to need it builds it.
 */
export default async function globalSetup(_globalConfig, projectConfig) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-test-run-'));
  process.env.PARLEY_TEST_RUN_DIR = dir;
  const root = projectConfig.rootDir;
  if (!compiledIsCurrent(root)) return;
  await import('reflect-metadata');
  const orm = await import(pathToFileURL(join(root, 'dist/src/db/orm.js')).href);
  if (claimTemplate(dir)) await buildTemplate(dir, orm);
}
