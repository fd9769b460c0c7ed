/**
 * Shared pieces of the real-time scenarios: a scratch database, a Parley server (in this process
 * or as a child process), signed-in actors and graphql-ws clients. Every scenario opens its own
 * server through src/server.ts, so it measures the product as shipped.
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { loadConfig } from '../src/config/config.js';
import { type ParleyServer, startServer } from '../src/server.js';
import { BENCH_ADMIN_PASSWORD, BENCH_RATE_LIMIT_MAX } from './lib/parley.js';
import type { BenchOptions } from './scenario.js';

const JWT_SECRET = 'bench-secret-that-is-long-enough-0123456789';
/** Nodes on one database must share it (stored secrets are sealed with it). */
const SECRETS_KEY = 'bench-secrets-key-that-is-long-enough-0123';

export interface ScratchDatabase {
  /** DATABASE_URL for the server ('' = PGlite under DATA_DIR). */
  url: string;
  kind: 'postgresql' | 'pglite';
  dataDir: string;
  drop(): Promise<void>;
}

/** A database of its own on the given PostgreSQL server, or an on-disk PGlite when none is given. */
export async function scratchDatabase(options: BenchOptions): Promise<ScratchDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  if (!/^postgres/.test(options.postgresUrl)) {
    return { url: '', kind: 'pglite', dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `parley_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: options.postgresUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(options.postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: 'postgresql',
    dataDir,
    drop: async () => {
      const client = new pg.Client({ connectionString: options.postgresUrl });
      await client.connect();
      await client.query(`drop database if exists "${name}" with (force)`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function serverEnv(database: ScratchDatabase, options: BenchOptions): Record<string, string> {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: database.dataDir,
    DATABASE_URL: database.url,
    REDIS_URL: options.redisUrl ?? '',
    REDIS_PREFIX: `parley-bench:${randomBytes(4).toString('hex')}:`,
    JWT_SECRET,
    SECRETS_KEY,
    ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
    RATE_LIMIT_MAX: BENCH_RATE_LIMIT_MAX,
    LOG_LEVEL: 'silent',
  };
}

export function startInProcess(database: ScratchDatabase, options: BenchOptions): Promise<ParleyServer> {
  return startServer(loadConfig(serverEnv(database, options)));
}

/** `node dist/src/main.js` as a child process, so its memory can be measured on its own. */
export function startChild(database: ScratchDatabase, options: BenchOptions): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['dist/src/main.js'], { env: { PATH: process.env.PATH ?? '', ...serverEnv(database, options) }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = /Parley GraphQL API at (http:\/\/\S+)\/graphql/.exec(output);
      if (match) resolve({ child, url: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

export async function graphql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Signs in as the bootstrap admin and opens a session to watch. */
export async function adminAndSession(url: string): Promise<{ token: string; sessionId: string }> {
  const { login } = await graphql<{ login: { token: string } }>(url, 'mutation($p: String!) { login(username: "admin", password: $p) { token } }', { p: BENCH_ADMIN_PASSWORD });
  const { createSession } = await graphql<{ createSession: { id: string } }>(url, 'mutation { createSession(subject: "bench") { id } }', {}, login.token);
  return { token: login.token, sessionId: createSession.id };
}

export function wsClient(url: string, token: string): Client {
  return createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: true,
  });
}

/**
 * Subscribes `client` to `messageAdded { content }` of a session (the fan-out workload): resolves
 * once the socket is connected, rejects with `failed(error)` when the subscription fails.
 */
export function messageAddedOnce(client: Client, sessionId: string, received: (content: string) => void, failed: (error: unknown) => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const off = client.on('connected', () => {
      off();
      resolve();
    });
    client.subscribe<{ messageAdded: { content: string } }>(
      { query: 'subscription($s: ID!) { messageAdded(sessionId: $s) { content } }', variables: { s: sessionId } },
      {
        next: ({ data }) => {
          if (data) received(data.messageAdded.content);
        },
        error: (error) => reject(failed(error)),
        complete: () => {},
      },
    );
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

export function rssKb(pid: number): Promise<number> {
  return import('node:fs/promises').then(async ({ readFile }) => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
