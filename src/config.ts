import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the database lives: embedded PGlite (on disk or in memory) or a PostgreSQL server. */
export type DatabaseTarget =
  | { kind: 'pglite'; dataDir: string | null }
  | { kind: 'postgres'; url: string };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** NODE_ENV: `production` hardens defaults (required secret, no stack traces). Default `development`. */
  readonly env: 'development' | 'production' | 'test';
  /** PORT: HTTP port; 0 picks a free one. Default 4000. */
  readonly port: number;
  /** HOST: interface to bind. Default `0.0.0.0`. */
  readonly host: string;
  /** DATA_DIR: embedded database, generated dev secret and attachments. Default `./data`. */
  readonly dataDir: string;
  /** DATABASE_URL: `postgres://…`; `memory://` for a throwaway PGlite; absent: PGlite under DATA_DIR. */
  readonly database: DatabaseTarget;
  /** REDIS_URL: shared pub/sub and rate-limit counters across nodes. Absent: in-process. */
  readonly redisUrl: string | null;
  /** REDIS_PREFIX: namespace of every Redis channel and key Parley uses, so several deployments (or test runs) can share one Redis. Default `parley:`. */
  readonly redisPrefix: string;
  /** EVENT_RETENTION_DAYS: how long the outbox keeps session events for `since` resume; older ones are pruned and resuming past them fails with RESYNC_REQUIRED. Default 7. */
  readonly eventRetentionDays: number;
  /** JWT_SECRET: HS256 signing key, at least 32 characters. Required in production; generated once under DATA_DIR otherwise. */
  readonly jwtSecret: Uint8Array;
  /** JWT_ISSUER / JWT_AUDIENCE: checked on every token. Defaults `parley` / `parley-api`. */
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  /** ACCESS_TOKEN_TTL_SECONDS: lifetime of a login token. Default 3600. */
  readonly accessTokenTtlSeconds: number;
  /** GUEST_TOKEN_TTL_SECONDS: lifetime of a guest token. Default 7 days. */
  readonly guestTokenTtlSeconds: number;
  /** ADMIN_PASSWORD: password of the `admin` user created on first start. Absent: generated and printed once. */
  readonly adminPassword: string | null;
  /** LOG_LEVEL: pino level. Default `info` (`silent` under test). */
  readonly logLevel: LogLevel;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function databaseTarget(env: Env, dataDir: string): DatabaseTarget {
  const url = env.DATABASE_URL;
  if (url === undefined || url === '') return { kind: 'pglite', dataDir: join(dataDir, 'pglite') };
  if (url === 'memory://') return { kind: 'pglite', dataDir: null };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new ConfigError('DATABASE_URL', 'must be postgres://…, postgresql://… or memory://');
}

/** A development secret survives restarts so issued tokens stay valid; production must bring its own. */
function jwtSecret(env: Env, nodeEnv: Config['env'], dataDir: string): Uint8Array {
  const given = env.JWT_SECRET;
  if (given !== undefined && given !== '') {
    if (given.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
    return new TextEncoder().encode(given);
  }
  if (nodeEnv === 'production') throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production');
  const file = join(dataDir, 'jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
  }
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}

/** Reads and validates the environment once; nothing else in the code base reads `process.env`. */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  if (nodeEnv !== 'development' && nodeEnv !== 'production' && nodeEnv !== 'test') {
    throw new ConfigError('NODE_ENV', `must be development, production or test, got "${nodeEnv}"`);
  }
  const dataDir = resolve(env.DATA_DIR || './data');
  const logLevel = (env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info')) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const redisUrl = env.REDIS_URL || null;
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL', 'must be redis://… or rediss://…');
  const redisPrefix = env.REDIS_PREFIX ?? 'parley:';
  if (!/^[A-Za-z0-9:_.-]{0,64}$/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', 'may contain only letters, digits, ":", "_", "." and "-" (at most 64)');
  const adminPassword = env.ADMIN_PASSWORD || null;
  if (adminPassword !== null && adminPassword.length < 8) throw new ConfigError('ADMIN_PASSWORD', 'must be at least 8 characters');

  return Object.freeze({
    env: nodeEnv,
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir,
    database: databaseTarget(env, dataDir),
    redisUrl,
    redisPrefix,
    eventRetentionDays: integer(env, 'EVENT_RETENTION_DAYS', 7, 1, 3650),
    jwtSecret: jwtSecret(env, nodeEnv, dataDir),
    jwtIssuer: env.JWT_ISSUER || 'parley',
    jwtAudience: env.JWT_AUDIENCE || 'parley-api',
    accessTokenTtlSeconds: integer(env, 'ACCESS_TOKEN_TTL_SECONDS', 3600, 60, 31 * 24 * 3600),
    guestTokenTtlSeconds: integer(env, 'GUEST_TOKEN_TTL_SECONDS', 7 * 24 * 3600, 60, 365 * 24 * 3600),
    adminPassword,
    logLevel,
  });
}
