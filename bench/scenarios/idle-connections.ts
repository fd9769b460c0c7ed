/**
 * Memory per idle subscribed connection: N graphql-ws connections, each with one live
 * `sessionEvents` subscription, held open against a Parley server running as its own process;
 * the server's RSS growth divided by N. The floor is a raw `ws` server process holding N idle
 * sockets. Clients live in this (bench) process, so only the servers' memory is measured.
 */
import { spawn } from 'node:child_process';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { BenchOptions, BenchResult, Scenario } from '../scenario.js';
import { adminAndSession, round, rssKb, scratchDatabase, sleep, startChild, wsClient } from '../support.js';

const BATCH = 250;

/** Lets the server settle (GC, timers) and reads its RSS. */
async function settledRss(pid: number): Promise<number> {
  await sleep(3000);
  return rssKb(pid);
}

async function parley(connections: number, options: BenchOptions): Promise<{ perConnKb: number; database: 'postgresql' | 'pglite' }> {
  const database = await scratchDatabase(options);
  const { child, url } = await startChild(database, options);
  const clients: Client[] = [];
  try {
    const { token, sessionId } = await adminAndSession(url);
    const before = await settledRss(child.pid!);
    for (let opened = 0; opened < connections; opened += BATCH) {
      const batch = Math.min(BATCH, connections - opened);
      await Promise.all(
        Array.from({ length: batch }, () => {
          const client = wsClient(url, token);
          clients.push(client);
          // Live once the replay of the (one-event) outbox arrives: the subscription is fully set up.
          return new Promise<void>((resolve, reject) => {
            client.subscribe(
              { query: 'subscription($s: ID!) { sessionEvents(sessionId: $s, since: "0") { __typename } }', variables: { s: sessionId } },
              { next: () => resolve(), error: reject, complete: () => {} },
            );
          });
        }),
      );
      options.log(`  parley: ${opened + batch} subscribed connections`);
    }
    const after = await settledRss(child.pid!);
    return { perConnKb: (after - before) / connections, database: database.kind };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await database.drop();
  }
}

/** A `ws` server in its own process that accepts and holds sockets, nothing else. */
const RAW_SERVER = `
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
wss.on('listening', () => process.stdout.write('port ' + wss.address().port + '\\n'));
wss.on('connection', (socket) => socket.on('message', () => {}));
`;

async function floor(connections: number, options: BenchOptions): Promise<number> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RAW_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.on('data', (chunk: Buffer) => resolve(Number(/port (\d+)/.exec(String(chunk))?.[1]))));
  const sockets: WebSocket[] = [];
  try {
    const before = await settledRss(child.pid!);
    for (let opened = 0; opened < connections; opened += BATCH) {
      const batch = Math.min(BATCH, connections - opened);
      await Promise.all(
        Array.from(
          { length: batch },
          () =>
            new Promise<void>((resolve) => {
              const socket = new WebSocket(`ws://127.0.0.1:${port}`);
              sockets.push(socket);
              socket.once('open', () => resolve());
            }),
        ),
      );
    }
    options.log(`  floor: ${connections} connections`);
    const after = await settledRss(child.pid!);
    return (after - before) / connections;
  } finally {
    for (const socket of sockets) socket.terminate();
    child.kill('SIGTERM');
  }
}

export const scenario: Scenario = {
  name: 'idle-connections',
  async run(options: BenchOptions): Promise<BenchResult> {
    // BENCH_IDLE_CONNECTIONS: a quick run at the full run's size (noise dominates at 1,000).
    const connections = Number(process.env.BENCH_IDLE_CONNECTIONS) || (options.quick ? 1000 : 5000);
    options.log(`idle-connections: ${connections} subscribed graphql-ws connections`);
    const measured = await parley(connections, options);
    const floorKb = await floor(connections, options);
    const parleyKb = round(measured.perConnKb, 1);
    return {
      scenario: 'idle-connections',
      description: `Server RSS growth per idle graphql-ws connection with one live sessionEvents subscription (${connections.toLocaleString('en-US')} connections)`,
      floor: 'raw ws server process holding the same number of idle sockets',
      database: measured.database,
      rows: [
        {
          label: `${connections.toLocaleString('en-US')} connections`,
          parley: { rss_kb_per_conn: parleyKb },
          floor: { rss_kb_per_conn: round(floorKb, 1) },
          ratio: round(floorKb / measured.perConnKb, 3),
          target: { text: '≤ 30 KB per idle subscribed connection', met: parleyKb <= 30 },
        },
      ],
    };
  },
};
