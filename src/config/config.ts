import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { normaliseOrigin } from '../shared/origin.js';

/**
 * Where the database lives: embedded PGlite (on disk or in memory) or a PostgreSQL server.
 * PGLITE_TEMPLATE: a data-directory tarball (PGlite's `dumpDataDir`) that a new embedded
 * database starts from instead of running initdb; migrations then apply whatever it lacks.
 * Ignored for an existing database. Default none. The test suite migrates one per run and
 * starts every embedded database from it (initdb and the migrations took seconds per server).
 */
export type DatabaseTarget = { kind: 'pglite'; dataDir: string | null; template?: string } | { kind: 'postgres'; url: string };

/**
 * OpenTelemetry tracing, read from the standard OTEL_* variables. With no endpoint, no SDK,
 * exporter or instrumentation is loaded at all: requests still get a W3C trace id for their log
 * lines and `x-trace-id`, and an incoming `traceparent` is still continued.
 */
export interface TracingConfig {
  /**
   * Where spans go over OTLP/HTTP (protobuf), or null: tracing off.
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the full URL (`http://collector:4318/v1/traces`), used as is.
   * OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (`http://collector:4318`); traces go to its `/v1/traces`.
   * The signal-specific one wins. Default none. OTEL_SDK_DISABLED=true turns tracing off whatever the endpoint.
   * OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT and OTEL_EXPORTER_OTLP_COMPRESSION (and their
   * TRACES_ forms) are read by the OTLP exporter itself, as the specification describes.
   */
  readonly endpoint: string | null;
  /** OTEL_SERVICE_NAME: `service.name` of every span. Default `parley`. */
  readonly serviceName: string;
  /**
   * OTEL_TRACES_SAMPLER: `parentbased_always_on` (default: a caller's sampled `traceparent` is
   * followed, new traces are all kept), `parentbased_traceidratio`, `traceidratio`, `always_on`,
   * `always_off`, `parentbased_always_off`. OTEL_TRACES_SAMPLER_ARG: the ratio for the
   * `*traceidratio` samplers, 0 to 1 (default 1).
   */
  readonly sampler: { readonly kind: TraceSampler; readonly ratio: number };
  /** OTEL_BSP_SCHEDULE_DELAY: milliseconds finished spans wait to be exported in one batch. Default 5000; shutdown exports what is left. */
  readonly batchDelayMs: number;
}

export const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type TraceSampler = (typeof TRACE_SAMPLERS)[number];

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
  /**
   * ACCESS_TOKEN_TTL_SECONDS: lifetime of an access token; clients renew it with their refresh
   * token. Default 3600: a live subscription ends when its token expires, and until the client
   * SDK re-authenticates a socket by itself, a shorter default would cut stock clients' streams.
   */
  readonly accessTokenTtlSeconds: number;
  /** REFRESH_TOKEN_TTL_SECONDS: lifetime of a refresh token (each use returns a new one). Default 30 days. */
  readonly refreshTokenTtlSeconds: number;
  /**
   * VIEWER_CACHE_TTL_SECONDS (5; 0 turns it off): how long a node remembers a caller's users row
   * for the revocation check (auth/viewer-cache.ts). Logout and password changes reach every node
   * at once over pub/sub; this bounds only what no pub/sub carries (the admin CLI run as its own
   * process against PostgreSQL).
   */
  readonly viewerCacheTtlSeconds: number;
  /** GUEST_TOKEN_TTL_SECONDS: lifetime of a guest token. Default 7 days. */
  readonly guestTokenTtlSeconds: number;
  /** INVITE_TTL_SECONDS: how long an invitation (inviteUser → acceptInvite) stays usable. Default 7 days. */
  readonly inviteTtlSeconds: number;
  /** ADMIN_PASSWORD: password of the `admin` user created on first start. Absent: generated and printed once. */
  readonly adminPassword: string | null;
  /** LOG_LEVEL: pino level. Default `info` (`silent` under test). */
  readonly logLevel: LogLevel;
  /**
   * LOG_FORMAT: `pretty` (pino-pretty, one human line per entry) or `json`. Default `pretty` in
   * development when stdout is a terminal, `json` otherwise (log collectors want one JSON object per line).
   */
  readonly logFormat: 'pretty' | 'json';
  /**
   * GRAPHIQL: serve the GraphiQL IDE at `GET /graphql` (browsers; from installed packages, no
   * CDN). `true` or `false`; default on, except in production.
   */
  readonly graphiql: boolean;
  /**
   * DEMO: serve the demo console at `/demo` (a customer widget page and an agent view, built from
   * the client SDK). While it is on, the console's own pages (same origin as the server) may open
   * widget sessions with any tenant's widget key, besides the tenant's allowed origins. `true` or
   * `false`; default on, except in production.
   */
  readonly demo: boolean;
  /**
   * TEST_CLOCK: lets an admin move the desk's clock forward with `PUT /testing/clock`, for clock
   * tests (SLA, business hours, auto-close) that stand on a given day and hour. `true` or
   * `false`; default off, and refused when NODE_ENV=production.
   */
  readonly testClock: boolean;
  /** METRICS_TOKEN: when set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>` (at least 16 characters). Default none: open. */
  readonly metricsToken: string | null;
  /** JWT_PREVIOUS_SECRET: the key before the last rotation; tokens it signed stay valid until they expire. Default none. */
  readonly jwtPreviousSecret: Uint8Array | null;
  /**
   * SECRETS_KEY: the key that encrypts secrets stored in the database (webhook signing secrets,
   * TOTP secrets), at least 32 characters (e.g. `openssl rand -base64 32`). Every node must have
   * the same. Required in production; generated once under DATA_DIR otherwise.
   */
  readonly secretsKey: Uint8Array;
  /**
   * SECRETS_PREVIOUS_KEY: the SECRETS_KEY before a rotation: secrets sealed under it are still read
   * until `npm run admin -- rotate-secrets` has moved them to SECRETS_KEY. Default none.
   */
  readonly secretsPreviousKey: Uint8Array | null;
  /**
   * TRUST_PROXY: how many reverse proxies in front of Parley may set X-Forwarded-For (0 = none:
   * the socket address is the client). Rate limits key anonymous callers by this client IP. Default 0.
   */
  readonly trustProxyHops: number;
  /** CORS_ORIGINS: comma-separated browser origins allowed to call the API (and open WebSockets). Default none. */
  readonly corsOrigins: readonly string[];
  /** RATE_LIMIT_MAX / RATE_LIMIT_WINDOW_SECONDS: requests per identity per window on each operation and route. Defaults 60 / 60. */
  readonly rateLimit: { max: number; windowMs: number; overrides: Readonly<Record<string, number>> };
  /**
   * WS_MAX_PAYLOAD_BYTES: largest WebSocket frame accepted; a larger one closes the socket with 1009. Default 64 KiB.
   * WS_MAX_SUBSCRIPTIONS: subscriptions one graphql-ws connection may hold at once. Default 20.
   * WS_INIT_TIMEOUT_MS: a socket that sends no connection_init within it is closed with 4408. Default 3000.
   */
  readonly websocket: { maxPayloadBytes: number; maxSubscriptions: number; initTimeoutMs: number };
  /**
   * GraphQL document limits, checked before any resolver runs, on HTTP and WebSocket alike.
   * QUERY_MAX_DEPTH: deepest nesting of selections. Default 10.
   * QUERY_MAX_ALIASES: most aliases in one document. Default 15.
   * QUERY_MAX_TOKENS: most lexical tokens in one document (the parser stops past it). Default 2000.
   * QUERY_MAX_DIRECTIVES: most directives in one document. Default 10.
   * QUERY_MAX_COST: highest estimated cost (graphql-armor's cost limit). Default 5000.
   */
  readonly queryLimits: { depth: number; aliases: number; tokens: number; directives: number; cost: number };
  /** Attachment uploads: where they are stored and what is accepted. */
  readonly uploads: UploadConfig;
  /**
   * HTTP_HEADERS_TIMEOUT_MS (30000): how long a client may take to send a request's headers.
   * HTTP_REQUEST_TIMEOUT_MS (30000): how long it may take to send the whole request, body
   * included; raise it when large uploads come over slow links. A client over either is cut
   * off (408), so a slow or stalled sender cannot hold a connection. Headers ≤ request.
   */
  readonly http: { headersTimeoutMs: number; requestTimeoutMs: number };
  /**
   * PUBLIC_URL: the base URL clients reach this server at (`https://chat.example.com`, a path
   * prefix allowed); absolute links (the rooms dialect's `next`/`previous`) are built on it.
   * An https one also makes responses claim https only (HSTS, CSP `upgrade-insecure-requests`).
   * Absent: built from the request's Host header, but only when that host is in ALLOWED_HOSTS
   * (otherwise links are relative to this server's root).
   */
  readonly publicUrl: string | null;
  /**
   * ALLOWED_HOSTS: comma-separated `host[:port]` values the Host header may name for absolute
   * links when PUBLIC_URL is unset; a host without a port matches any port. Default
   * `localhost,127.0.0.1,[::1]` (local development); any other Host gets root-relative links.
   */
  readonly allowedHosts: readonly string[];
  /** Outbound webhooks: delivery, retries and what targets may be reached (docs/webhooks.md). */
  readonly webhooks: WebhookConfig;
  /** CANNED_RESPONSES_MAX: most canned responses one tenant may have; creating one more is CONFLICT CANNED_RESPONSE_LIMIT. Default 1000. */
  readonly cannedResponsesMax: number;
  /**
   * Agent capacity and presence (docs/desk.md, "Availability and auto-assignment").
   * AGENT_DEFAULT_CAPACITY (3): active support sessions an agent takes until an admin sets their own.
   * AGENT_MAX_CAPACITY (50): the most setAgentCapacity accepts.
   * PRESENCE_TTL_SECONDS (30): with Redis, a connection's presence entry lives this long unless its
   * node refreshes it (every third of it), so a node that dies stops counting as online within it.
   */
  readonly assignment: { defaultCapacity: number; maxCapacity: number; presenceTtlSeconds: number };
  /** OpenTelemetry tracing: off unless an OTLP endpoint is configured (see TracingConfig). */
  readonly tracing: TracingConfig;
  /** Reactions and durable timers (docs/architecture.md, "Reactions and timers"). */
  readonly reactions: ReactionConfig;
}

export interface WebhookConfig {
  /**
   * WEBHOOK_ALLOW_PRIVATE_TARGETS: `true` lets webhooks reach loopback, private, link-local and
   * metadata addresses. Default `false` in production, `true` otherwise (local receivers).
   */
  readonly allowPrivateTargets: boolean;
  /** WEBHOOK_CONNECT_TIMEOUT_MS: longest wait for the receiver's TCP (and TLS) connection. Default 10000. */
  readonly connectTimeoutMs: number;
  /** WEBHOOK_TIMEOUT_MS: longest a whole attempt may take, connection included. Default 10000. */
  readonly timeoutMs: number;
  /** WEBHOOK_RESPONSE_BODY_BYTES: how much of a receiver's response body is read and logged; the rest is never read. Default 2048. */
  readonly responseBodyBytes: number;
  /** WEBHOOK_RETRY_BASE_MS: the first retry's delay; each next one doubles (with ±25% jitter). Default 5000. */
  readonly retryBaseMs: number;
  /** WEBHOOK_RETRY_MAX_DELAY_MS: the longest delay between two attempts. Default 3600000 (1 h). */
  readonly retryMaxDelayMs: number;
  /** WEBHOOK_RETRY_FOR_SECONDS: how long a delivery is retried before it is marked failed. Default 259200 (72 h). */
  readonly retryForSeconds: number;
  /** WEBHOOK_DISABLE_AFTER_SECONDS: an endpoint whose attempts have all failed for this long is disabled (`webhook.disabled`). Default 432000 (5 days). */
  readonly disableAfterSeconds: number;
  /** WEBHOOK_SECRET_GRACE_SECONDS: after rotateWebhookSecret, deliveries are also signed with the old secret for this long. Default 86400 (24 h). */
  readonly secretGraceSeconds: number;
  /** WEBHOOK_CONCURRENCY: attempts one node makes at once (a slow receiver holds one for up to WEBHOOK_TIMEOUT_MS). Default 32. */
  readonly concurrency: number;
  /** WEBHOOK_POLL_INTERVAL_MS: how often a node looks for due deliveries (retries, other nodes' events); its own commits wake it at once. Default 1000. */
  readonly pollIntervalMs: number;
}

export interface ReactionConfig {
  /** REACTIONS_POLL_INTERVAL_MS: how often a node looks for other nodes' events and due timers; its own commits wake it at once. Default 1000. */
  readonly pollIntervalMs: number;
  /**
   * REACTION_LEASE_MS: how long a node holds a reaction (or a timer) it works on before another node
   * may take it over; a node that dies delays that work by at most this. A handler running longer
   * than half of it counts as failed. Default 30000.
   */
  readonly leaseMs: number;
  /** REACTION_MAX_ATTEMPTS: attempts at one event or timer before it is parked (kept, counted in metrics, retried by `npm run admin -- reactions --retry`). Default 10. */
  readonly maxAttempts: number;
  /** REACTION_RETRY_BASE_MS: delay after the first failure; each next one doubles, up to 5 minutes. Default 1000. */
  readonly retryBaseMs: number;
}

export interface UploadConfig {
  /** ATTACHMENTS_DIR: local-disk attachment store. Default `DATA_DIR/attachments`. */
  readonly dir: string;
  /** UPLOAD_MAX_FILE_BYTES: largest accepted file, enforced while it streams. Default 25 MB (26214400). */
  readonly maxFileBytes: number;
  /** UPLOAD_MAX_FILES: most files on one message (one request). Default 10. */
  readonly maxFiles: number;
  /** UPLOAD_MAX_REQUEST_BYTES: largest multipart request body, and most bytes of files on one message. Default 100 MB (104857600). */
  readonly maxRequestBytes: number;
  /**
   * UPLOAD_ALLOWED_TYPES: comma-separated content types accepted after sniffing the bytes;
   * `type/*` allows a whole family. Default: common images (not SVG), PDF, audio, video,
   * text/plain and office documents (see DEFAULT_ALLOWED_TYPES).
   */
  readonly allowedTypes: readonly string[];
}

/**
 * Types are what the magic-byte sniffer reports (file-type's names, plus `text/plain` for
 * UTF-8 text). SVG and HTML are left out on purpose: they can carry script.
 */
export const DEFAULT_ALLOWED_TYPES: readonly string[] = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/heif',
  'image/bmp',
  'image/tiff',
  'application/pdf',
  'audio/*',
  'video/*',
  'text/plain',
  // Office documents: OOXML, OpenDocument, legacy binary formats (OLE compound files) and RTF.
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/x-cfb',
  'application/rtf',
];

/** The largest size a GraphQL Int (the `size` field) can carry. */
const MAX_UPLOAD_BYTES = 2_147_483_647;
const CONTENT_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/([a-z0-9][a-z0-9!#$&^_.+-]*|\*)$/;

function allowedTypes(env: Env): readonly string[] {
  const raw = env.UPLOAD_ALLOWED_TYPES;
  if (raw === undefined || raw.trim() === '') return DEFAULT_ALLOWED_TYPES;
  const types = raw
    .split(',')
    .map((type) => type.trim().toLowerCase())
    .filter((type) => type !== '');
  for (const type of types) {
    if (!CONTENT_TYPE_PATTERN.test(type)) throw new ConfigError('UPLOAD_ALLOWED_TYPES', `has an invalid content type "${type}" (use type/subtype or type/*)`);
  }
  return types;
}

function uploadConfig(env: Env, dataDir: string): UploadConfig {
  return {
    dir: resolve(env.ATTACHMENTS_DIR || join(dataDir, 'attachments')),
    maxFileBytes: integer(env, 'UPLOAD_MAX_FILE_BYTES', 25 * 1024 * 1024, 1, MAX_UPLOAD_BYTES),
    maxFiles: integer(env, 'UPLOAD_MAX_FILES', 10, 1, 100),
    maxRequestBytes: integer(env, 'UPLOAD_MAX_REQUEST_BYTES', 100 * 1024 * 1024, 1024, Number.MAX_SAFE_INTEGER),
    allowedTypes: allowedTypes(env),
  };
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

function secret(env: Env, name: string): Uint8Array | null {
  const given = env[name];
  if (given === undefined || given === '') return null;
  if (given.length < 32) throw new ConfigError(name, 'must be at least 32 characters');
  return new TextEncoder().encode(given);
}

function origins(env: Env, name: string): string[] {
  const raw = env[name];
  if (!raw) return [];
  return raw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
    .map((origin) => {
      const normalised = normaliseOrigin(origin);
      if (normalised === null) throw new ConfigError(name, `has "${origin}", which is not a bare origin like https://app.example.com (scheme://host[:port])`);
      return normalised;
    });
}

/** RATE_LIMIT_OVERRIDES: `operation=max` pairs, e.g. `login=10,sendMessage=120`. */
function rateLimitOverrides(env: Env): Record<string, number> {
  const raw = env.RATE_LIMIT_OVERRIDES;
  const overrides: Record<string, number> = {};
  if (!raw) return overrides;
  for (const pair of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z_][\w.:/-]*)=(\d{1,7})$/.exec(pair);
    if (!match || Number(match[2]) < 1) throw new ConfigError('RATE_LIMIT_OVERRIDES', `has "${pair}"; expected name=max with max >= 1`);
    overrides[match[1]!] = Number(match[2]);
  }
  return overrides;
}

function databaseTarget(env: Env, dataDir: string): DatabaseTarget {
  const url = env.DATABASE_URL;
  const template = env.PGLITE_TEMPLATE ? { template: resolve(env.PGLITE_TEMPLATE) } : {};
  if (url === undefined || url === '') return { kind: 'pglite', dataDir: join(dataDir, 'pglite'), ...template };
  if (url === 'memory://') return { kind: 'pglite', dataDir: null, ...template };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new ConfigError('DATABASE_URL', 'must be postgres://…, postgresql://… or memory://');
}

/**
 * A key given in the environment, or, outside production, one generated once under DATA_DIR
 * (`file`), so it survives restarts: issued tokens stay valid and sealed secrets stay readable.
 * Production must bring its own.
 */
function requiredSecret(env: Env, name: string, nodeEnv: Config['env'], dataDir: string, file: string): Uint8Array {
  const given = secret(env, name);
  if (given) return given;
  if (nodeEnv === 'production') throw new ConfigError(name, 'is required when NODE_ENV=production');
  const path = join(dataDir, file);
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      // `wx`: two processes starting at once keep the first one's key, never overwrite it.
      writeFileSync(path, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return new TextEncoder().encode(readFileSync(path, 'utf8').trim());
}

function httpTimeouts(env: Env): Config['http'] {
  const headersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 30_000, 1000, 3_600_000);
  const requestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1000, 3_600_000);
  // Node refuses a headers timeout longer than the request timeout.
  if (headersTimeoutMs > requestTimeoutMs) throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must not exceed HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
  return { headersTimeoutMs, requestTimeoutMs };
}

function publicUrl(env: Env): string | null {
  const raw = env.PUBLIC_URL;
  if (raw === undefined || raw.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError('PUBLIC_URL', `is "${raw}", which is not a URL like https://chat.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError('PUBLIC_URL', 'must be an http:// or https:// URL');
  if (url.search || url.hash || url.username || url.password) throw new ConfigError('PUBLIC_URL', 'may not carry a query, fragment or credentials');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** `host[:port]`: a DNS name or an IP literal (IPv6 in brackets); used for ALLOWED_HOSTS and to vet Host headers. */
export const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

function allowedHosts(env: Env): string[] {
  const hosts = (env.ALLOWED_HOSTS ?? 'localhost,127.0.0.1,[::1]')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter(Boolean);
  for (const host of hosts) if (!HOST.test(host)) throw new ConfigError('ALLOWED_HOSTS', `has "${host}", which is not host[:port]`);
  return hosts;
}

/**
 * The environment Parley runs with: `.env` in the working directory (when present) under the
 * process environment, which wins variable by variable, so a deployment's real environment
 * always overrides a forgotten file. Only the first level is read: no variable expansion.
 */
export function readEnvironment(cwd: string = process.cwd(), processEnv: Env = process.env): Env {
  const file = join(cwd, '.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return processEnv;
    throw new ConfigError('.env', `could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return { ...parseEnv(text), ...processEnv };
}

function logFormat(env: Env, nodeEnv: Config['env'], isTty: boolean): Config['logFormat'] {
  const raw = env.LOG_FORMAT;
  if (raw === undefined || raw === '') return nodeEnv === 'development' && isTty ? 'pretty' : 'json';
  if (raw !== 'pretty' && raw !== 'json') throw new ConfigError('LOG_FORMAT', `must be pretty or json, got "${raw}"`);
  return raw;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(name, `must be true or false, got "${raw}"`);
  return raw === 'true';
}

/** A movable clock in production would let one admin shift every tenant's SLA clocks and timers. */
function testClock(env: Env, nodeEnv: Config['env']): boolean {
  const on = flag(env, 'TEST_CLOCK', false);
  if (on && nodeEnv === 'production') throw new ConfigError('TEST_CLOCK', 'must not be true when NODE_ENV=production');
  return on;
}

function webhookConfig(env: Env, nodeEnv: Config['env']): WebhookConfig {
  const retryBaseMs = integer(env, 'WEBHOOK_RETRY_BASE_MS', 5_000, 10, 60_000);
  const retryMaxDelayMs = integer(env, 'WEBHOOK_RETRY_MAX_DELAY_MS', 3_600_000, 10, 24 * 3_600_000);
  if (retryMaxDelayMs < retryBaseMs) throw new ConfigError('WEBHOOK_RETRY_MAX_DELAY_MS', `must not be below WEBHOOK_RETRY_BASE_MS (${retryBaseMs})`);
  const connectTimeoutMs = integer(env, 'WEBHOOK_CONNECT_TIMEOUT_MS', 10_000, 100, 60_000);
  const timeoutMs = integer(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000);
  if (connectTimeoutMs > timeoutMs) throw new ConfigError('WEBHOOK_CONNECT_TIMEOUT_MS', `must not exceed WEBHOOK_TIMEOUT_MS (${timeoutMs})`);
  return Object.freeze({
    allowPrivateTargets: flag(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS', nodeEnv !== 'production'),
    connectTimeoutMs,
    timeoutMs,
    responseBodyBytes: integer(env, 'WEBHOOK_RESPONSE_BODY_BYTES', 2048, 0, 65_536),
    retryBaseMs,
    retryMaxDelayMs,
    retryForSeconds: integer(env, 'WEBHOOK_RETRY_FOR_SECONDS', 72 * 3600, 1, 30 * 24 * 3600),
    disableAfterSeconds: integer(env, 'WEBHOOK_DISABLE_AFTER_SECONDS', 5 * 24 * 3600, 1, 90 * 24 * 3600),
    secretGraceSeconds: integer(env, 'WEBHOOK_SECRET_GRACE_SECONDS', 24 * 3600, 0, 30 * 24 * 3600),
    concurrency: integer(env, 'WEBHOOK_CONCURRENCY', 32, 1, 256),
    pollIntervalMs: integer(env, 'WEBHOOK_POLL_INTERVAL_MS', 1_000, 10, 60_000),
  });
}

function reactionConfig(env: Env): ReactionConfig {
  return Object.freeze({
    pollIntervalMs: integer(env, 'REACTIONS_POLL_INTERVAL_MS', 1_000, 10, 60_000),
    leaseMs: integer(env, 'REACTION_LEASE_MS', 30_000, 1_000, 3_600_000),
    maxAttempts: integer(env, 'REACTION_MAX_ATTEMPTS', 10, 1, 1000),
    retryBaseMs: integer(env, 'REACTION_RETRY_BASE_MS', 1_000, 10, 3_600_000),
  });
}

function assignmentConfig(env: Env): Config['assignment'] {
  const maxCapacity = integer(env, 'AGENT_MAX_CAPACITY', 50, 1, 1000);
  const defaultCapacity = integer(env, 'AGENT_DEFAULT_CAPACITY', 3, 0, 1000);
  if (defaultCapacity > maxCapacity) throw new ConfigError('AGENT_DEFAULT_CAPACITY', `must not exceed AGENT_MAX_CAPACITY (${maxCapacity})`);
  return Object.freeze({ defaultCapacity, maxCapacity, presenceTtlSeconds: integer(env, 'PRESENCE_TTL_SECONDS', 30, 1, 3600) });
}

function otlpUrl(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is "${raw}", which is not a URL like http://collector:4318`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(name, 'must be an http:// or https:// URL (OTLP/HTTP)');
  return url.href;
}

function tracingConfig(env: Env): TracingConfig {
  const base = otlpUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const traces = otlpUrl(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const disabled = flag(env, 'OTEL_SDK_DISABLED', false);
  const kind = (env.OTEL_TRACES_SAMPLER || 'parentbased_always_on') as TraceSampler;
  if (!TRACE_SAMPLERS.includes(kind)) throw new ConfigError('OTEL_TRACES_SAMPLER', `must be one of ${TRACE_SAMPLERS.join(', ')}`);
  const rawRatio = env.OTEL_TRACES_SAMPLER_ARG;
  const ratio = rawRatio === undefined || rawRatio === '' ? 1 : Number(rawRatio);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `must be a number from 0 to 1, got "${rawRatio}"`);
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || 'parley';
  // The base endpoint names the collector; the specification appends the signal's path to it.
  const endpoint = disabled ? null : (traces ?? (base === null ? null : `${base.replace(/\/+$/, '')}/v1/traces`));
  const batchDelayMs = integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 10, 3_600_000);
  return Object.freeze({ endpoint, serviceName, sampler: Object.freeze({ kind, ratio }), batchDelayMs });
}

function metricsToken(env: Env): string | null {
  const token = env.METRICS_TOKEN;
  if (token === undefined || token === '') return null;
  if (token.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  return token;
}

/**
 * Reads and validates the environment once; nothing else in the code base reads `process.env`.
 * `isTty`: whether stdout is a terminal (decides the default LOG_FORMAT).
 */
export function loadConfig(env: Env = readEnvironment(), isTty: boolean = process.stdout.isTTY === true): Config {
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
    jwtSecret: requiredSecret(env, 'JWT_SECRET', nodeEnv, dataDir, 'jwt-secret'),
    jwtIssuer: env.JWT_ISSUER || 'parley',
    jwtAudience: env.JWT_AUDIENCE || 'parley-api',
    accessTokenTtlSeconds: integer(env, 'ACCESS_TOKEN_TTL_SECONDS', 3600, 60, 31 * 24 * 3600),
    refreshTokenTtlSeconds: integer(env, 'REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600, 300, 365 * 24 * 3600),
    viewerCacheTtlSeconds: integer(env, 'VIEWER_CACHE_TTL_SECONDS', 5, 0, 300),
    guestTokenTtlSeconds: integer(env, 'GUEST_TOKEN_TTL_SECONDS', 7 * 24 * 3600, 60, 365 * 24 * 3600),
    inviteTtlSeconds: integer(env, 'INVITE_TTL_SECONDS', 7 * 24 * 3600, 300, 30 * 24 * 3600),
    adminPassword,
    logLevel,
    logFormat: logFormat(env, nodeEnv, isTty),
    graphiql: flag(env, 'GRAPHIQL', nodeEnv !== 'production'),
    demo: flag(env, 'DEMO', nodeEnv !== 'production'),
    testClock: testClock(env, nodeEnv),
    metricsToken: metricsToken(env),
    jwtPreviousSecret: secret(env, 'JWT_PREVIOUS_SECRET'),
    secretsKey: requiredSecret(env, 'SECRETS_KEY', nodeEnv, dataDir, 'secrets-key'),
    secretsPreviousKey: secret(env, 'SECRETS_PREVIOUS_KEY'),
    trustProxyHops: integer(env, 'TRUST_PROXY', 0, 0, 10),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    rateLimit: {
      max: integer(env, 'RATE_LIMIT_MAX', 60, 1, 1_000_000),
      windowMs: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400) * 1000,
      overrides: rateLimitOverrides(env),
    },
    websocket: {
      maxPayloadBytes: integer(env, 'WS_MAX_PAYLOAD_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
      maxSubscriptions: integer(env, 'WS_MAX_SUBSCRIPTIONS', 20, 1, 1000),
      initTimeoutMs: integer(env, 'WS_INIT_TIMEOUT_MS', 3000, 100, 60_000),
    },
    queryLimits: {
      depth: integer(env, 'QUERY_MAX_DEPTH', 10, 2, 100),
      aliases: integer(env, 'QUERY_MAX_ALIASES', 15, 1, 1000),
      tokens: integer(env, 'QUERY_MAX_TOKENS', 2000, 50, 100_000),
      directives: integer(env, 'QUERY_MAX_DIRECTIVES', 10, 1, 1000),
      cost: integer(env, 'QUERY_MAX_COST', 5000, 10, 10_000_000),
    },
    uploads: Object.freeze(uploadConfig(env, dataDir)),
    http: httpTimeouts(env),
    publicUrl: publicUrl(env),
    allowedHosts: allowedHosts(env),
    webhooks: webhookConfig(env, nodeEnv),
    cannedResponsesMax: integer(env, 'CANNED_RESPONSES_MAX', 1000, 1, 100_000),
    assignment: assignmentConfig(env),
    reactions: reactionConfig(env),
    tracing: tracingConfig(env),
  });
}
