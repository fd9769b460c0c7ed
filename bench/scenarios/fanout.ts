/**
 * Fan-out: one session, 1 / 100 / 1,000 graphql-ws subscribers (one connection each). Each
 * message is timed from the start of the `sendMessage` mutation to its receipt by every
 * subscriber; the next message goes out once all have it. The floor is a raw `ws` broadcast
 * server in the same process doing the same fan-out (HTTP POST in, one frame to every socket).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import type { BenchOptions, BenchResult, BenchRow, Scenario } from '../scenario.js';
import { adminAndSession, graphql, percentile, round, scratchDatabase, startInProcess, wsClient } from '../support.js';

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

async function parleyFanout(subscribers: number, receipts: Receipts, options: BenchOptions): Promise<Fanout & { database: 'postgresql' | 'pglite' }> {
  const database = await scratchDatabase(options);
  const server = await startInProcess(database, options);
  const { token, sessionId } = await adminAndSession(server.url);
  const clients: Client[] = [];
  const warm = new Set<number>();
  for (let i = 0; i < subscribers; i++) {
    const client = wsClient(server.url, token);
    clients.push(client);
    client.subscribe<{ messageAdded: { content: string } }>(
      { query: 'subscription($s: ID!) { messageAdded(sessionId: $s) { content } }', variables: { s: sessionId } },
      {
        next: ({ data }) => {
          if (!data) return;
          if (data.messageAdded.content === 'warm-up') warm.add(i);
          else receipts.received(data.messageAdded.content);
        },
        error: (error) => options.log(`subscriber ${i} failed: ${JSON.stringify(error)}`),
        complete: () => {},
      },
    );
  }
  // Subscriptions are live once each has seen a warm-up message.
  while (warm.size < subscribers) {
    await graphql(server.url, 'mutation($s: ID!) { sendMessage(sessionId: $s, content: "warm-up") { created } }', { s: sessionId }, token);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const send = 'mutation($s: ID!, $c: String!) { sendMessage(sessionId: $s, content: $c) { created } }';
  return {
    database: database.kind,
    send: async (index) => {
      const content = `m${index}`;
      const all = receipts.expect(content, subscribers);
      receipts.start(content);
      await graphql(server.url, send, { s: sessionId, c: content }, token);
      await all;
    },
    close: async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await server.close();
      await database.drop();
    },
  };
}

async function rawFanout(subscribers: number, receipts: Receipts): Promise<Fanout> {
  const wss = new WebSocketServer({ noServer: true });
  const http: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      const frame = JSON.stringify({ data: { messageAdded: { content: (JSON.parse(body) as { content: string }).content } } });
      for (const client of wss.clients) client.send(frame);
      res.end('{}');
    });
  });
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const sockets = await Promise.all(
    Array.from(
      { length: subscribers },
      () =>
        new Promise<WebSocket>((resolve) => {
          const socket = new WebSocket(`ws://127.0.0.1:${port}`);
          socket.on('message', (data) => receipts.received((JSON.parse(String(data)) as { data: { messageAdded: { content: string } } }).data.messageAdded.content));
          socket.once('open', () => resolve(socket));
        }),
    ),
  );
  return {
    send: async (index) => {
      const content = `m${index}`;
      const all = receipts.expect(content, subscribers);
      receipts.start(content);
      await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: JSON.stringify({ content }) });
      await all;
    },
    close: async () => {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

async function measure(fanout: Fanout, receipts: Receipts, messages: number, subscribers: number): Promise<Record<string, number>> {
  const started = performance.now();
  for (let i = 0; i < messages; i++) await fanout.send(i);
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...receipts.latencies].sort((a, b) => a - b);
  return { p50_ms: round(percentile(sorted, 50)), p99_ms: round(percentile(sorted, 99)), per_s: round((messages * subscribers) / seconds, 0) };
}

export const scenario: Scenario = {
  name: 'fanout',
  async run(options: BenchOptions): Promise<BenchResult> {
    const sizes = [1, 100, 1000];
    const messages = options.quick ? 20 : 100;
    const rows: BenchRow[] = [];
    let database: BenchResult['database'] = 'pglite';
    for (const subscribers of sizes) {
      options.log(`fanout: ${subscribers} subscribers, ${messages} messages`);
      const parleyReceipts = new Receipts();
      const parley = await parleyFanout(subscribers, parleyReceipts, options);
      database = parley.database;
      const parleyNumbers = await measure(parley, parleyReceipts, messages, subscribers);
      await parley.close();

      const floorReceipts = new Receipts();
      const floor = await rawFanout(subscribers, floorReceipts);
      const floorNumbers = await measure(floor, floorReceipts, messages, subscribers);
      await floor.close();

      rows.push({
        label: `${subscribers.toLocaleString('en-US')} subscriber${subscribers === 1 ? '' : 's'}`,
        parley: parleyNumbers,
        floor: floorNumbers,
        ratio: round(parleyNumbers.per_s! / floorNumbers.per_s!, 3),
        // Issue target: p99 ≤ 50 ms end to end with 1,000 subscribers.
        ...(subscribers === 1000 ? { target: { text: 'p99 ≤ 50 ms at 1,000 subscribers', met: parleyNumbers.p99_ms! <= 50 } } : {}),
      });
      options.log(`  parley ${JSON.stringify(parleyNumbers)} floor ${JSON.stringify(floorNumbers)}`);
    }
    return {
      scenario: 'fanout',
      description: 'End-to-end delivery (sendMessage start → receipt) to N graphql-ws subscribers of one session; ratio = deliveries/s vs the floor',
      floor: 'raw ws broadcast server in the same process: HTTP POST in, one frame to every socket',
      database,
      rows,
    };
  },
};
