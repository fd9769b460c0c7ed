/**
 * Child-process entry: one Parley server for a benchmark, configured by the environment the
 * harness passes (through src/config/config.ts like any deployment). It reports its URL over IPC and
 * stops when told to, exiting normally so `--cpu-prof` can write its profile.
 */
import 'reflect-metadata';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server.js';

const server = await startServer(loadConfig(process.env));
process.send?.({ type: 'ready', url: server.url });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.exit(0);
};
process.on('message', (message: unknown) => {
  if (message === 'stop') stop().catch(() => process.exit(1));
  // The harness asks for this process's memory, after a full collection when it was started with --expose-gc and asks for one.
  if (typeof message === 'object' && message !== null && (message as { type?: string }).type === 'memory') {
    if ((message as { gc?: boolean }).gc) globalThis.gc?.();
    process.send?.({ type: 'memory', usage: process.memoryUsage() });
  }
});
// The harness died: never linger as an orphan holding a port and a database.
process.on('disconnect', () => {
  stop().catch(() => process.exit(1));
});
