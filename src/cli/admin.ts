import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_COMMANDS_PATH, readAdminCredential } from '../admin/admin.channel.js';
import { ADMIN_USAGE, type ParsedCommand, parseAdminCommand } from '../admin/admin.commands.js';
import { bootstrap } from '../app/bootstrap.js';
import { TokenService } from '../auth/tokens.js';
import { type Config, ConfigError, loadConfig } from '../config/config.js';
import { type DataDirLock, DataDirLockedError, lockDataDir, lockHolder } from '../db/data-dir-lock.js';
import { migrate, openOrm } from '../db/orm.js';
import { createLogger } from '../observability/logger.js';
import { SecretBox } from '../shared/secret-box.js';

/** A server that holds the lock publishes its credential once it listens (after migrations): wait that long. */
const SERVER_START_WAIT_MS = 120_000;

/** No server owns the database: open it here, as the server would, and run the command. */
async function runLocally(config: Config, command: ParsedCommand): Promise<string> {
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const orm = await openOrm(config.database, { logger: (message: string) => logger.debug({ orm: message }, 'orm') });
  try {
    await migrate(orm, config.database);
    await bootstrap(orm, config.adminPassword, logger);
    return await command.run({ orm, tokens: new TokenService(config), secrets: new SecretBox(config.secretsKey, config.secretsPreviousKey) });
  } finally {
    await orm.close();
  }
}

/** The server owning the embedded database runs the command (see admin.channel.ts). */
async function runInServer(dataDir: string, argv: readonly string[]): Promise<string> {
  const deadline = Date.now() + SERVER_START_WAIT_MS;
  for (;;) {
    const holder = lockHolder(dataDir);
    if (!holder) throw new Error('the server that held the data directory stopped; run the command again');
    const credential = readAdminCredential(dataDir);
    if (holder.role === 'server' && credential?.pid === holder.pid) {
      const response = await fetch(`${credential.url}${ADMIN_COMMANDS_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${credential.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ argv }),
      }).catch(() => null);
      // Unreachable: the server is stopping (or was killed and not yet reaped); look again.
      if (response) {
        const body = (await response.json().catch(() => ({}))) as { output?: string; error?: string };
        if (!response.ok) throw new Error(body.error ?? `the server answered ${response.status}`);
        return body.output ?? '';
      }
    }
    if (holder.role !== 'server' || Date.now() > deadline) throw new DataDirLockedError(dataDir, holder);
    await sleep(250);
  }
}

async function run(argv: string[]): Promise<void> {
  const command = parseAdminCommand(argv);
  if (!command.command || command.help) {
    console.log(ADMIN_USAGE);
    return;
  }
  const config = loadConfig();
  const embedded = config.database.kind === 'pglite' && config.database.dataDir !== null;
  let lock: DataDirLock | null = null;
  if (embedded) {
    try {
      lock = lockDataDir(config.dataDir, 'admin-cli');
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
      console.log(await runInServer(config.dataDir, argv));
      return;
    }
  }
  try {
    console.log(await runLocally(config, command));
  } finally {
    lock?.release();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  console.error(`admin: ${message}`);
  process.exit(1);
});
