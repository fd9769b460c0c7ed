/**
 * `node dist/bench/fanout-cpu.js [subscribers] [messages]`: CPU milliseconds per fanned-out
 * message and per delivery, graphql-ws subscribers (one `messageAdded` subscription per
 * connection, one token, as the fanout scenario) and the server in this one process
 * (process.cpuUsage around sequential sends, each waited for until every subscriber has it).
 * For before/after comparisons of the fan-out path: CPU time is far steadier than wall-clock
 * latency on a shared machine. Setup (connecting, subscribing, warming up) is not counted.
 */
import 'reflect-metadata';
import type { Client } from 'graphql-ws';
import { adminAndSession, graphql, messageAddedOnce, scratchDatabase, startInProcess, wsClient } from './support.js';

const [subscribers = 1000, messages = 50] = process.argv.slice(2).map(Number);
const postgresUrl = [process.env.BENCH_DATABASE_URL, process.env.DATABASE_URL].find((u) => u && /^postgres/.test(u)) ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const options = { quick: true, postgresUrl, redisUrl: null, log: () => {} };

const database = await scratchDatabase(options);
const server = await startInProcess(database, options);
const clients: Client[] = [];
try {
  const { token, sessionId } = await adminAndSession(server.url);
  const waiting = new Map<string, { left: number; done: () => void }>();
  const live = new Set<number>();
  for (let opened = 0; opened < subscribers; opened += 250) {
    await Promise.all(
      Array.from({ length: Math.min(250, subscribers - opened) }, (_, j) => {
        const client = wsClient(server.url, token);
        clients.push(client);
        return messageAddedOnce(
          client,
          sessionId,
          (content) => {
            if (content === 'warm-up') live.add(opened + j);
            const wait = waiting.get(content);
            if (wait && --wait.left === 0) wait.done();
          },
          (error) => new Error(`subscriber failed: ${JSON.stringify(error)}`),
        );
      }),
    );
  }
  const send = 'mutation($s: ID!, $c: String!) { sendMessage(sessionId: $s, content: $c) { created } }';
  while (live.size < subscribers) {
    await graphql(server.url, send, { s: sessionId, c: 'warm-up' }, token);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const fanOut = async (content: string) => {
    const all = new Promise<void>((done) => waiting.set(content, { left: subscribers, done }));
    await graphql(server.url, send, { s: sessionId, c: content }, token);
    await all;
    waiting.delete(content);
  };
  for (let i = 0; i < 5; i++) await fanOut(`warm${i}`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) await fanOut(`m${i}`);
  const used = process.cpuUsage(cpu0);
  const cpuMs = (used.user + used.system) / 1000;
  console.log(
    `${subscribers} subscribers, ${messages} messages: ${(cpuMs / messages).toFixed(1)} ms CPU per message, ` +
      `${((cpuMs * 1000) / (messages * subscribers)).toFixed(1)} µs CPU per delivery, ${((performance.now() - t0) / messages).toFixed(1)} ms wall per message`,
  );
} finally {
  await Promise.all(clients.map((client) => client.dispose()));
  await server.close();
  await database.drop();
}
