/**
 * Runs one scenario on its own and prints its BenchResult as JSON (`npm run bench` runs them all):
 *
 *   npx tsc -p tsconfig.json && node_modules/.bin/node dist/bench/run-one.js fanout [--quick]
 *   node_modules/.bin/node dist/bench/run-one.js dist/bench/scenarios/upload.js [--quick]
 *
 * PostgreSQL comes from BENCH_DATABASE_URL, then DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres; Redis from BENCH_REDIS_URL or REDIS_URL when set.
 * Benchmarks are tools run by hand: they read their own variables, not the server's config.
 */
import 'reflect-metadata';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchOptions, Scenario } from './scenario.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const target = args.find((arg) => !arg.startsWith('--'));
  if (!target) throw new Error('usage: run-one.js <scenario name | compiled scenario module> [--quick]');
  const url = target.endsWith('.js') ? pathToFileURL(resolve(target)).href : `./scenarios/${target}.js`;
  const { scenario } = (await import(url)) as { scenario: Scenario };
  const options: BenchOptions = {
    quick: args.includes('--quick'),
    postgresUrl: process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.BENCH_REDIS_URL || process.env.REDIS_URL || null,
    log: (line) => process.stderr.write(`[${scenario.name}] ${line}\n`),
  };
  const result = await scenario.run(options);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
