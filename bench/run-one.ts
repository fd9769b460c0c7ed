/**
 * Runs one scenario on its own, without the `npm run bench` harness:
 *   npx tsc -p tsconfig.json && node dist/bench/run-one.js fanout [--quick]
 * PostgreSQL and Redis come from BENCH_POSTGRES_URL / BENCH_REDIS_URL (PGlite and in-process otherwise).
 */
import 'reflect-metadata';
import type { BenchOptions, Scenario } from './scenario.js';

async function main(): Promise<void> {
  const [name, ...flags] = process.argv.slice(2);
  if (!name) throw new Error('usage: node dist/bench/run-one.js <scenario> [--quick]');
  const { scenario } = (await import(`./scenarios/${name}.js`)) as { scenario: Scenario };
  const options: BenchOptions = {
    quick: flags.includes('--quick'),
    // Benchmarks are tools run by hand; they read their own two variables, not the server config.
    postgresUrl: process.env.BENCH_POSTGRES_URL ?? '',
    redisUrl: process.env.BENCH_REDIS_URL || null,
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const result = await scenario.run(options);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
