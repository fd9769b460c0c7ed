/**
 * A node of its own for the reaction runner's multi-process tests: opens DATABASE_URL with the
 * built server code (dist/, as `npm start` runs it), runs the effect reactions named in
 * REACTIONS (comma-separated) in MODE ('effect' or 'hang'), and prints "ready" once running.
 */
import pino from 'pino';
import { openOrm } from '../../dist/src/db/orm.js';
import { ReactionRunner } from '../../dist/src/reactions/reaction-runner.js';
import { effectReaction } from './effect-reactions.mjs';

const orm = await openOrm({ kind: 'postgres', url: process.env.DATABASE_URL });
const reactions = process.env.REACTIONS.split(',').map((name) => effectReaction(orm, name, process.env.MODE, 'child'));
const config = { pollIntervalMs: 50, leaseMs: Number(process.env.LEASE_MS ?? 3000), maxAttempts: 10, retryBaseMs: 50 };
const runner = new ReactionRunner(orm, reactions, config, pino({ level: 'silent' }));
await runner.prepare();
runner.start();
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await runner.stop();
  await orm.close();
  process.exit(0);
});
