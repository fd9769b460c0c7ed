import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Request, type Response, Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { type DataDirLock, lockDataDir } from '../db/data-dir-lock.js';
import { DomainError } from '../shared/errors.js';
import { type AdminCommandDeps, AdminCommandError, parseAdminCommand } from './admin.commands.js';

/**
 * While a server owns the embedded database, the admin CLI cannot open it (data-dir-lock.ts), so
 * the server runs the CLI's commands for it: it writes a random credential and its address into
 * DATA_DIR (mode 0600, so only the account that runs the server, which could open the database
 * files anyway, can read it) and accepts `POST /admin/commands` with that credential as bearer.
 * The credential changes at every start and is removed at shutdown.
 */

export const CREDENTIAL_FILE = 'admin.credential';
export const ADMIN_COMMANDS_PATH = '/admin/commands';

export interface AdminCredential {
  url: string;
  secret: string;
  pid: number;
}

/** Reads the credential a running server published; null while it has not (yet). */
export function readAdminCredential(dataDir: string): AdminCredential | null {
  try {
    const value = JSON.parse(readFileSync(join(dataDir, CREDENTIAL_FILE), 'utf8')) as Partial<AdminCredential>;
    return typeof value.url === 'string' && typeof value.secret === 'string' && typeof value.pid === 'number' ? (value as AdminCredential) : null;
  } catch {
    return null;
  }
}

/** What a server that owns its embedded database does with that ownership. */
export interface DataDirOwnership {
  /** `POST /admin/commands`, for the CLI. */
  routes(deps: AdminCommandDeps, logger: Logger): Router;
  /** Once listening: tells the CLI where to find this server. */
  publish(port: number): void;
  /** After the database is closed: removes the credential, then the lock. */
  release(): void;
}

/** An address of this server that a process on the same machine can reach. */
function localUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return `http://127.0.0.1:${port}`;
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

/**
 * Takes the DATA_DIR lock when the database is embedded PGlite on disk (or throws
 * DataDirLockedError naming the holder); null for PostgreSQL and in-memory PGlite, which any
 * number of processes may use.
 */
export function claimDataDir(config: Pick<Config, 'database' | 'dataDir' | 'host'>): DataDirOwnership | null {
  if (config.database.kind !== 'pglite' || config.database.dataDir === null) return null;
  const lock: DataDirLock = lockDataDir(config.dataDir, 'server');
  const file = join(config.dataDir, CREDENTIAL_FILE);
  const secret = randomBytes(32).toString('base64url');
  const expected = Buffer.from(`Bearer ${secret}`);
  const authorized = (req: Request) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  return {
    routes(deps, logger) {
      const router = Router();
      router.post(ADMIN_COMMANDS_PATH, express.json({ limit: '16kb' }), async (req: Request, res: Response) => {
        if (!authorized(req)) {
          res.status(401).json({ error: 'admin credential required' });
          return;
        }
        const argv: unknown = (req.body as { argv?: unknown } | undefined)?.argv;
        if (!Array.isArray(argv) || argv.length > 64 || !argv.every((a) => typeof a === 'string' && a.length <= 4096)) {
          res.status(400).json({ error: 'argv must be a list of strings' });
          return;
        }
        try {
          const command = parseAdminCommand(argv as string[]);
          const output = await command.run(deps);
          logger.info({ command: command.command }, 'admin command');
          res.json({ output });
        } catch (error) {
          if (error instanceof AdminCommandError || error instanceof DomainError) {
            res.status(400).json({ error: error.message });
            return;
          }
          logger.error({ err: error }, 'admin command failed');
          res.status(500).json({ error: 'internal error (see the server log)' });
        }
      });
      return router;
    },
    publish(port) {
      const credential: AdminCredential = { url: localUrl(config.host, port), secret, pid: process.pid };
      // Written whole under another name, then renamed: a reader never sees half a file.
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(credential), { mode: 0o600 });
      renameSync(temporary, file);
    },
    release() {
      if (readAdminCredential(config.dataDir)?.pid === process.pid) rmSync(file, { force: true });
      lock.release();
    },
  };
}
