/**
 * Runs one scenario module on its own and prints its BenchResult as JSON:
 *
 *   npm run build --silent && npx tsc -p tsconfig.json --outDir dist
 *   node_modules/.bin/node dist/bench/run-one.js dist/bench/scenarios/upload.js [--quick]
 *
 * (`npm run bench` runs them all.) The database is PostgreSQL from DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres; REDIS_URL is passed on when set.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchOptions, Scenario } from './scenario.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const file = args.find((arg) => !arg.startsWith('--'));
  if (!file) throw new Error('usage: run-one.js <compiled scenario module> [--quick]');
  const { scenario } = (await import(pathToFileURL(resolve(file)).href)) as { scenario: Scenario };
  const options: BenchOptions = {
    quick: args.includes('--quick'),
    postgresUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.REDIS_URL || null,
    log: (line) => process.stderr.write(`[${scenario.name}] ${line}\n`),
  };
  const result = await scenario.run(options);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
