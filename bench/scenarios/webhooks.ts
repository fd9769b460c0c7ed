import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { withScratchDatabase } from '../lib/database.js';
import { nowMs, round, summarize } from '../lib/measure.js';
import { Fixtures, GraphQLClient, spawnParley } from '../lib/parley.js';
import type { BenchResult, BenchRow, Scenario } from '../scenario.js';

/** Parley's default WEBHOOK_CONCURRENCY: the floor posts with as many at once. */
const CONCURRENCY = 32;
/** The rate, and a lighter one that shows the pipeline's own latency when the machine is not saturated. */
const RATES_PER_S = [100, 25];

interface Receiver {
  url: string;
  server: Server;
  /** Called for every request with its parsed body, on arrival. */
  onHook: (body: { timestamp: string; data: unknown }, receivedAtMs: number) => void;
}

/** A local receiver that answers 204 at once (reading the whole body first). */
async function startReceiver(): Promise<Receiver> {
  const receiver = { url: '', onHook: () => undefined } as unknown as Receiver;
  receiver.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      receiver.onHook(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp: string; data: unknown }, Date.now());
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
  return receiver;
}

/** The floor: the same POSTs from a bare node:http client, a fresh connection each (as Parley makes), `CONCURRENCY` at once. */
async function barePosts(url: string, body: string, count: number): Promise<number> {
  const target = new URL(url);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await new Promise<void>((resolve, reject) => {
        const req = request(target, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(body);
      });
    }
  };
  const started = nowMs();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return count / ((nowMs() - started) / 1000);
}

/**
 * Webhooks: how fast a backlog drains to a local receiver (deliveries/s), and the lag from an
 * event's commit to its arrival at the receiver while messages are sent at 100/s.
 */
export const scenario: Scenario = {
  name: 'webhooks',
  async run(options): Promise<BenchResult> {
    const backlog = options.quick ? 200 : 5_000;
    const sessions = 64;
    const lagSeconds = options.quick ? 2 : 20;
    return withScratchDatabase(options.postgresUrl, 'webhooks', async (db) => {
      // Loopback receivers are refused in production unless allowed.
      const server = await spawnParley({ databaseUrl: db.url, profileDir: options.profileDir ?? null, env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_POLL_INTERVAL_MS: '100' } });
      const client = new GraphQLClient(server.graphqlUrl);
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      const receiver = await startReceiver();
      try {
        const fixtures = new Fixtures(client);
        const admin = await fixtures.admin();
        const { createWebhook } = await client.request<{ createWebhook: { id: string } }>(
          'mutation($u: String!) { createWebhook(url: $u, events: ["message.created"]) { id } }',
          { u: receiver.url },
          admin.token,
        );
        const endpointId = createWebhook.id;

        // 1. Throughput: a backlog queued while the endpoint was disabled, spread over 64 sessions (order is per session).
        await client.request('mutation($id: ID!) { disableWebhook(id: $id) { id } }', { id: endpointId }, admin.token);
        // A message.created copy as the outbox writes one (deliveries are checked against the event contract).
        const sample = {
          message: {
            id: '1',
            uuid: '00000000-0000-4000-8000-000000000001',
            sessionId: '1',
            senderType: 'USER',
            senderId: '1',
            senderUserId: null,
            senderName: 'Bench',
            senderUsername: null,
            content: 'x'.repeat(200),
            metadata: {},
            clientMessageId: null,
            createdAt: new Date().toISOString(),
            editedAt: null,
            deletedAt: null,
            version: 1,
          },
        };
        await sql.query(
          `insert into webhook_deliveries (tenant_id, endpoint_id, message_id, event_id, session_id, seq, type, payload, event_created_at, next_attempt_at, retry_from, created_at)
           select w.tenant_id, w.id, 'msg_bench_' || g, g, 1000000 + g % $2, g / $2 + 1, 'message.created', $3::jsonb, now(), now(), now(), now()
             from webhook_endpoints w, generate_series(1, $1) g where w.id = $4`,
          [backlog, sessions, JSON.stringify(sample), endpointId],
        );
        let drained = 0;
        let allIn: () => void = () => undefined;
        const done = new Promise<void>((resolve) => (allIn = resolve));
        receiver.onHook = () => {
          drained += 1;
          if (drained === backlog) allIn();
        };
        const started = nowMs();
        await client.request('mutation($id: ID!) { enableWebhook(id: $id) { id } }', { id: endpointId }, admin.token);
        await done;
        const parleyPerS = backlog / ((nowMs() - started) / 1000);
        const body = JSON.stringify({ type: 'message.created', timestamp: new Date().toISOString(), tenantId: '1', sessionId: '1', eventId: '1', seq: '1', data: sample });
        receiver.onHook = () => undefined;
        const floorPerS = await barePosts(receiver.url, body, backlog);
        options.log(`  backlog of ${backlog}: parley ${round(parleyPerS, 1)} deliveries/s, bare POSTs ${round(floorPerS, 1)}/s`);

        // 2. Lag at 100 (and 25) events/s: messages sent open loop across 100 sessions; lag = arrival - the event's time (set in its transaction).
        const customers = await fixtures.users(admin, 'hookcustomer', 10, 'USER');
        // 100 sessions (10 per customer), so at 100 sends/s no session sees more than one send a second: the
        // sends do not queue on a session's row lock (each waiter would hold a pool connection).
        const lanes: { sessionId: string; token: string }[] = [];
        for (let round = 0; round < 10; round++) {
          for (const customer of customers) lanes.push({ sessionId: await fixtures.supportSession(customer, admin), token: customer.token });
        }
        /** sendMessage open loop at `rate` per second; resolves with the sends' own latency once all answered. */
        const sendAtRate = async (rate: number, tag: string) => {
          const total = rate * lagSeconds;
          const sends: Promise<unknown>[] = [];
          const latencies: number[] = [];
          const t0 = nowMs();
          for (let i = 0; i < total; i++) {
            const wait = t0 + (i * 1000) / rate - nowMs();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
            const lane = lanes[i % lanes.length]!;
            const sentAt = nowMs();
            sends.push(
              client
                .request('mutation($s: ID!, $c: String!) { sendMessage(sessionId: $s, content: $c) { created } }', { s: lane.sessionId, c: `${tag} ${i}` }, lane.token)
                .then(() => latencies.push(nowMs() - sentAt)),
            );
          }
          await Promise.all(sends);
          return summarize(latencies);
        };
        // Per rate: the same load with no endpoint first (what the sends cost without webhooks: the row's floor), then with one.
        const lagRows: BenchRow[] = [];
        let endpoint = endpointId;
        for (const rate of RATES_PER_S) {
          await client.request('mutation($id: ID!) { deleteWebhook(id: $id) }', { id: endpoint }, admin.token);
          receiver.onHook = () => undefined;
          const bareSend = await sendAtRate(rate, 'no webhook');
          endpoint = (await client.request<{ createWebhook: { id: string } }>('mutation($u: String!) { createWebhook(url: $u, events: ["message.created"]) { id } }', { u: receiver.url }, admin.token))
            .createWebhook.id;
          const lags: number[] = [];
          receiver.onHook = (hook, receivedAtMs) => lags.push(receivedAtMs - Date.parse(hook.timestamp));
          const send = await sendAtRate(rate, 'lag');
          while (lags.length < rate * lagSeconds) await new Promise((resolve) => setTimeout(resolve, 20));
          const lag = summarize(lags);
          options.log(
            `  lag at ${rate}/s: p50 ${lag.p50_ms} ms p99 ${lag.p99_ms} ms (${lag.count} events); sendMessage p50 ${send.p50_ms} ms p99 ${send.p99_ms} ms; without webhooks p50 ${bareSend.p50_ms} ms p99 ${bareSend.p99_ms} ms`,
          );
          lagRows.push({
            label: `commit → delivery lag at ${rate} events/s`,
            parley: { p50_ms: lag.p50_ms, p99_ms: lag.p99_ms, send_p50_ms: send.p50_ms, send_p99_ms: send.p99_ms },
            floor: { send_p50_ms: bareSend.p50_ms, send_p99_ms: bareSend.p99_ms },
            ratio: round(bareSend.p99_ms / send.p99_ms),
          });
        }

        const rows: BenchRow[] = [
          {
            label: `drain ${backlog.toLocaleString('en-US')} queued deliveries (${sessions} sessions)`,
            parley: { per_s: round(parleyPerS, 1) },
            floor: { per_s: round(floorPerS, 1) },
            ratio: round(parleyPerS / floorPerS),
          },
          ...lagRows,
        ];
        return {
          scenario: 'webhooks',
          description: `Outbound webhooks to a local receiver that answers 204 at once. Throughput: ${backlog.toLocaleString('en-US')} deliveries queued while the endpoint was disabled, then enabled; deliveries/s until the last arrives (signing, a fresh connection per attempt, the attempt log, ${CONCURRENCY} at once per node). Lag: sendMessage at ${RATES_PER_S.join(' and ')}/s for ${lagSeconds} s over 100 sessions (one send per session per second at 100/s); lag = arrival at the receiver minus the event's timestamp (taken in the send's transaction, just before commit).`,
          floor: `Throughput: the same body POSTed by a bare node:http client, a fresh connection each, ${CONCURRENCY} at once (ratio parley/floor). Lag: the same sendMessage load with no webhook endpoint (its send latency; ratio = send p99 without / with webhooks).`,
          database: 'postgresql',
          rows,
        };
      } finally {
        client.close();
        await sql.end();
        await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
        await server.stop();
      }
    });
  },
};
