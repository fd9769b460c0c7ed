/**
 * Fan-out: one session, 1 / 100 / 1,000 (and in the full run 10,000) graphql-ws subscribers (one
 * connection each). Each message is timed from the start of the `sendMessage` mutation to its
 * receipt by every subscriber; the next message goes out once all have it. The floor is a raw
 * `ws` broadcast server doing the same fan-out (HTTP POST in, one frame to every socket). Up to
 * 1,000 subscribers both servers run in this process; at 10,000 each runs in its own.
 */

import type { AddressInfo } from 'node:net';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createFloorServer, FLOOR_PATHS } from '../lib/http-floor.js';
import { spawnHttpFloor } from '../lib/http-floor-spawn.js';
import type { BenchOptions, BenchResult, BenchRow, Scenario } from '../scenario.js';
import { adminAndSession, graphql, messageAddedOnce, percentile, round, type ScratchDatabase, scratchDatabase, startChild, startInProcess, wsClient } from '../support.js';

interface Fanout {
  /** Sends message `index` and resolves when every subscriber has it; receipts land in `latencies`. */
  send(index: number): Promise<void>;
  close(): Promise<void>;
}

/** Tracks, per message, when it started and which subscribers still wait for it. */
class Receipts {
  readonly latencies: number[] = [];
  private started = new Map<string, number>();
  private pending = new Map<string, { left: number; done: () => void }>();

  expect(content: string, subscribers: number): Promise<void> {
    return new Promise((done) => {
      this.pending.set(content, { left: subscribers, done });
      this.started.set(content, performance.now());
    });
  }

  /** Restarts the clock at the moment the send begins (after `expect` set up the wait). */
  start(content: string): void {
    this.started.set(content, performance.now());
  }

  received(content: string): void {
    const started = this.started.get(content);
    const pending = this.pending.get(content);
    if (started === undefined || !pending) return;
    this.latencies.push(performance.now() - started);
    if (--pending.left === 0) {
      this.pending.delete(content);
      this.started.delete(content);
      pending.done();
    }
  }
}

/** Clients connect this many at a time (10,000 at once would overflow the listen backlog). */
const BATCH = 250;

async function inProcessFloor(): Promise<{ url: string; stop(): Promise<void> }> {
  const http = createFloorServer(null, []);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    stop: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Opens `count` connections `BATCH` at a time; `open(i)` resolves once connection i is up. */
async function inBatches(count: number, open: (i: number) => Promise<void>): Promise<void> {
  for (let opened = 0; opened < count; opened += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, count - opened) }, (_, j) => open(opened + j)));
  }
}

/**
 * Up to 1,000 subscribers, both servers run in this process, as the committed runs measured
 * them. Beyond, each runs as a process of its own: 10,000 client sockets and 10,000 server
 * sockets in one process would pass its file-descriptor limit (20,000 on the bench machine).
 */
const SEPARATE_ABOVE = 1000;

/** Parley in this process, or (`separate`) as `node dist/src/main.js` with the same configuration. */
async function startParley(options: BenchOptions, separate: boolean): Promise<{ url: string; database: ScratchDatabase; stop(): Promise<void> }> {
  const database = await scratchDatabase(options);
  if (!separate) {
    const server = await startInProcess(database, options);
    return { url: server.url, database, stop: () => server.close() };
  }
  const { child, url } = await startChild(database, options);
  return {
    url,
    database,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function parleyFanout(subscribers: number, receipts: Receipts, options: BenchOptions): Promise<Fanout & { database: 'postgresql' | 'pglite' }> {
  const { url, database, stop } = await startParley(options, subscribers > SEPARATE_ABOVE);
  const clients: Client[] = [];
  const close = async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await stop();
    await database.drop();
  };
  try {
    const { token, sessionId } = await adminAndSession(url);
    const warm = new Set<number>();
    let failure: unknown = null;
    await inBatches(subscribers, (i) => {
      const client = wsClient(url, token);
      clients.push(client);
      return messageAddedOnce(
        client,
        sessionId,
        (content) => {
          if (content === 'warm-up') warm.add(i);
          else receipts.received(content);
        },
        (error) => {
          failure ??= error;
          return new Error(`subscriber ${i} failed: ${JSON.stringify(error)}`);
        },
      );
    });
    // Subscriptions are live once each has seen a warm-up message.
    const deadline = Date.now() + 60_000 + subscribers * 20;
    while (warm.size < subscribers) {
      if (failure) throw new Error(`a subscriber failed: ${JSON.stringify(failure)}`);
      if (Date.now() > deadline) throw new Error(`only ${warm.size} of ${subscribers} subscriptions went live`);
      await graphql(url, 'mutation($s: ID!) { sendMessage(sessionId: $s, content: "warm-up") { created } }', { s: sessionId }, token);
      await new Promise((resolve) => setTimeout(resolve, 200 + subscribers / 10));
    }
    const send = 'mutation($s: ID!, $c: String!) { sendMessage(sessionId: $s, content: $c) { created } }';
    return {
      database: database.kind,
      send: async (index) => {
        const content = `m${index}`;
        const all = receipts.expect(content, subscribers);
        receipts.start(content);
        await graphql(url, send, { s: sessionId, c: content }, token);
        await all;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The floor: the HTTP floor server without a database (bench/lib/http-floor.ts): POST /broadcast,
 * one frame to every socket. In this process, or in its own beyond SEPARATE_ABOVE, as Parley.
 */
async function rawFanout(subscribers: number, receipts: Receipts): Promise<Fanout> {
  const server = subscribers > SEPARATE_ABOVE ? await spawnHttpFloor(null, []) : await inProcessFloor();
  const sockets: WebSocket[] = [];
  const close = async () => {
    for (const socket of sockets) socket.terminate();
    await server.stop();
  };
  try {
    await inBatches(
      subscribers,
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = new WebSocket(server.url.replace(/^http/, 'ws'));
          sockets.push(socket);
          socket.on('message', (data) => receipts.received((JSON.parse(String(data)) as { data: { messageAdded: { content: string } } }).data.messageAdded.content));
          socket.once('open', () => resolve());
          socket.once('error', reject);
        }),
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    send: async (index) => {
      const content = `m${index}`;
      const all = receipts.expect(content, subscribers);
      receipts.start(content);
      await fetch(`${server.url}${FLOOR_PATHS.broadcast}`, { method: 'POST', body: JSON.stringify({ content }) });
      await all;
    },
    close,
  };
}

async function measure(fanout: Fanout, receipts: Receipts, messages: number, subscribers: number): Promise<Record<string, number>> {
  const started = performance.now();
  for (let i = 0; i < messages; i++) await fanout.send(i);
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...receipts.latencies].sort((a, b) => a - b);
  return { p50_ms: round(percentile(sorted, 50)), p99_ms: round(percentile(sorted, 99)), per_s: round((messages * subscribers) / seconds, 0) };
}

/** One row: Parley, then the floor, at `subscribers` for `messages` messages each. */
export async function fanoutRow(subscribers: number, messages: number, options: BenchOptions): Promise<{ row: BenchRow; database: BenchResult['database'] }> {
  options.log(`fanout: ${subscribers} subscribers, ${messages} messages`);
  const parleyReceipts = new Receipts();
  const parley = await parleyFanout(subscribers, parleyReceipts, options);
  const parleyNumbers = await measure(parley, parleyReceipts, messages, subscribers);
  await parley.close();

  const floorReceipts = new Receipts();
  const floor = await rawFanout(subscribers, floorReceipts);
  const floorNumbers = await measure(floor, floorReceipts, messages, subscribers);
  await floor.close();
  options.log(`  parley ${JSON.stringify(parleyNumbers)} floor ${JSON.stringify(floorNumbers)}`);

  const ratio = round(parleyNumbers.per_s! / floorNumbers.per_s!, 3);
  const row: BenchRow = {
    label: `${subscribers.toLocaleString('en-US')} subscriber${subscribers === 1 ? '' : 's'}${subscribers > SEPARATE_ABOVE ? ' (servers in their own processes)' : ''}`,
    parley: parleyNumbers,
    floor: floorNumbers,
    ratio,
    // Issue targets at 1,000 subscribers: p99 ≤ 50 ms end to end, and ≥ 50% of raw ws deliveries/s.
    ...(subscribers === 1000 ? { target: { text: 'p99 ≤ 50 ms and deliveries/s ≥ 50% of raw ws at 1,000 subscribers', met: parleyNumbers.p99_ms! <= 50 && ratio >= 0.5 } } : {}),
  };
  return { row, database: parley.database };
}

export const scenario: Scenario = {
  name: 'fanout',
  async run(options: BenchOptions): Promise<BenchResult> {
    // The 10,000-subscriber row runs in the full run only (minutes of setup and delivery).
    const sizes = options.quick ? [1, 100, 1000] : [1, 100, 1000, 10_000];
    const rows: BenchRow[] = [];
    let database: BenchResult['database'] = 'pglite';
    for (const subscribers of sizes) {
      const { row, database: used } = await fanoutRow(subscribers, options.quick ? 20 : subscribers > SEPARATE_ABOVE ? 20 : 100, options);
      database = used;
      rows.push(row);
    }
    return {
      scenario: 'fanout',
      description: `End-to-end delivery (sendMessage start → receipt) to N = ${sizes.map((n) => n.toLocaleString('en-US')).join(', ')} graphql-ws subscribers of one session (one connection each, opened ${BATCH} at a time); 100 messages per row (20 at 10,000 subscribers and in quick runs), each sent once every subscriber has the previous one. Up to 1,000 subscribers Parley and the floor run in the bench process beside the subscribers (as in earlier runs); at 10,000 each runs as a process of its own, because 20,000 sockets in one process pass the machine's file-descriptor limit, so that row is not measured like the others. Ratio = deliveries/s vs the floor.`,
      floor: 'A raw ws broadcast server (the HTTP floor server without a database, bench/lib/http-floor.ts), placed like Parley: HTTP POST in, one frame to every socket. Raw ws is the fan-out floor.',
      database,
      rows,
    };
  },
};
