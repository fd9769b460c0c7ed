import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BENCH_ADMIN_PASSWORD = 'bench-admin-password';
/**
 * Benchmarks load one identity far past the production policy of 60 calls a minute. The limiter
 * still counts every call (its cost is part of what is measured); it just never refuses.
 */
export const BENCH_RATE_LIMIT_MAX = '1000000';
export const BENCH_USER_PASSWORD = 'bench-user-password';

export interface ParleyProcess {
  /** The server's process id (its memory can be read from /proc). */
  pid: number;
  url: string;
  graphqlUrl: string;
  dataDir: string;
  /** The server's `process.memoryUsage()`, after a full GC when `gc` is set and the server runs with --expose-gc. */
  memory(gc: boolean): Promise<NodeJS.MemoryUsage>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** postgres://… for PostgreSQL; null for embedded PGlite on disk under a fresh DATA_DIR. */
  databaseUrl: string | null;
  redisUrl?: string | null;
  /** When set, the server runs with `--cpu-prof` and writes its profile here on stop. */
  profileDir?: string | null;
  dataDir?: string;
  /** Extra environment for the server (a scenario's own settings), over the defaults above. */
  env?: Record<string, string>;
  /** Extra Node flags for the server (V8 flags such as --expose-gc or --trace-gc, which NODE_OPTIONS refuses). */
  execArgv?: string[];
}

/**
 * Starts Parley in a child process, the way it runs in production: its own event loop, so the
 * load generator in this process never steals the server's CPU time inside one thread, and a
 * profile (`--cpu-prof`) shows the server alone. Logging stays at `info` (one line per request,
 * as deployed) with stdout discarded.
 */
export async function spawnParley(options: SpawnOptions): Promise<ParleyProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    SECRETS_KEY: randomBytes(32).toString('hex'),
    ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
    RATE_LIMIT_MAX: BENCH_RATE_LIMIT_MAX,
    LOG_LEVEL: 'info',
  };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  Object.assign(env, options.env);
  const execArgv = ['--enable-source-maps', ...(options.execArgv ?? [])];
  if (options.profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`);
  const child = fork(new URL('./server-process.js', import.meta.url), [], { env, execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });

  const url = (await readyUrl(child, 'Parley server')).replace('localhost', '127.0.0.1');
  let stopped: Promise<void> | null = null;
  return {
    pid: child.pid!,
    url,
    graphqlUrl: `${url}/graphql`,
    dataDir,
    memory: (gc) =>
      new Promise<NodeJS.MemoryUsage>((resolve) => {
        const answer = (message: { type?: string; usage?: NodeJS.MemoryUsage }) => {
          if (message?.type !== 'memory' || !message.usage) return;
          child.off('message', answer);
          resolve(message.usage);
        };
        child.on('message', answer);
        child.send({ type: 'memory', gc });
      }),
    stop: () =>
      (stopped ??= stopChild(child).then(() => {
        if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      })),
  };
}

/** The URL a forked bench server reports with `{ type: 'ready', url }`; rejects if it exits first. */
export function readyUrl(child: ChildProcess, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${what} exited during start (code ${code})`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.on('message', (message: { type?: string; url?: string }) => {
      if (message?.type === 'ready' && message.url) {
        child.off('exit', onExit);
        resolve(message.url);
      }
    });
  });
}

/** Asks a forked bench server to stop (exiting normally, so profiles get written); kills it after 15 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    if (child.connected) child.send('stop');
    else child.kill('SIGTERM');
  });
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * GraphQL over keep-alive HTTP with node:http (lighter on the client's CPU than fetch, which
 * matters when client, server and database share two cores). One agent per client pool.
 */
export class GraphQLClient {
  private readonly endpoint: URL;

  constructor(
    graphqlUrl: string,
    private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 }),
  ) {
    this.endpoint = new URL(graphqlUrl);
  }

  request<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
    const body = JSON.stringify({ query, variables });
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.endpoint.hostname,
          port: this.endpoint.port,
          path: this.endpoint.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GraphQLBody<T>;
              if (parsed.errors?.length || !parsed.data) reject(new Error(`GraphQL error: ${JSON.stringify(parsed.errors)}`));
              else resolve(parsed.data);
            } catch (error) {
              reject(error as Error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface BenchActor {
  token: string;
  userId: string;
}

/** Sign-in, users and sessions through the public API, as a real deployment would be set up. */
export class Fixtures {
  constructor(private readonly client: GraphQLClient) {}

  async login(username: string, password: string): Promise<BenchActor> {
    const { login } = await this.client.request<{ login: { token: string; user: { id: string } } }>('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token user { id } } }', {
      u: username,
      p: password,
    });
    return { token: login.token, userId: login.user.id };
  }

  admin(): Promise<BenchActor> {
    return this.login('admin', BENCH_ADMIN_PASSWORD);
  }

  async user(admin: BenchActor, username: string, role: 'USER' | 'STAFF' | 'ADMIN' | 'BOT'): Promise<BenchActor> {
    await this.client.request(
      'mutation($u: String!, $r: UserRole!, $p: String) { createUser(username: $u, role: $r, password: $p) { id } }',
      { u: username, r: role, p: BENCH_USER_PASSWORD },
      admin.token,
    );
    return this.login(username, BENCH_USER_PASSWORD);
  }

  /** Users created a few at a time (password hashing is deliberately slow). */
  async users(admin: BenchActor, prefix: string, count: number, role: 'USER' | 'STAFF'): Promise<BenchActor[]> {
    const actors: BenchActor[] = [];
    for (let i = 0; i < count; i += 4) {
      const batch = Array.from({ length: Math.min(4, count - i) }, (_, j) => this.user(admin, `${prefix}${i + j}`, role));
      actors.push(...(await Promise.all(batch)));
    }
    return actors;
  }

  /** A support session opened by `customer`, assigned to `agent` when given. */
  async supportSession(customer: BenchActor, admin: BenchActor, agent?: BenchActor): Promise<string> {
    const { createSession } = await this.client.request<{ createSession: { id: string } }>('mutation { createSession(subject: "Benchmark") { id } }', {}, customer.token);
    if (agent) {
      await this.client.request('mutation($s: ID!, $a: ID!) { assignAgent(sessionId: $s, agentId: $a) { id } }', { s: createSession.id, a: agent.userId }, admin.token);
    }
    return createSession.id;
  }
}
