import 'reflect-metadata';
import { type Config, ConfigError, loadConfig } from './config/config.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { startTelemetry } from './observability/telemetry.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

let config: Config | null = null;

/**
 * Mistakes an operator makes at start (bad setting, port taken, data directory in use) are one
 * line naming what to change; anything else is a bug and keeps its stack.
 */
function startupFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) return error.message;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE' && config) return `Port ${config.port} on ${config.host} is already in use; stop the other server or set PORT to a free port`;
  if (code === 'EACCES' && config) return `Not allowed to listen on port ${config.port} on ${config.host}; set PORT to a port above 1023`;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

async function main(): Promise<void> {
  config = loadConfig();
  // Tracing hooks the module loader, so the server's modules are imported only once it runs.
  const telemetry = await startTelemetry(config.tracing);
  const { startServer } = await import('./server.js');
  const server = await startServer(config);
  server.logger.info({ tracing: config.tracing.endpoint === null ? 'off' : new URL(config.tracing.endpoint).origin }, 'tracing');
  process.stdout.write(`Parley GraphQL API at ${server.url}/graphql\n`);

  const shutdown = (signal: string) => {
    server.logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      server.logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    // Drained first, so the spans of the last requests are finished before the final export.
    (async () => {
      await server.close();
      await telemetry?.shutdown();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        server.logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${startupFailure(error)}\n`);
  process.exit(1);
});
