import { randomUUID } from 'node:crypto';
import type { BenchRow } from '../scenario.js';
import { assertSameAnswer } from './http-floor-spawn.js';
import { closedLoop, type LoadSummary, round } from './measure.js';
import { type BenchActor, Fixtures, type GraphQLClient } from './parley.js';

/** Concurrency levels the issue names for scenario 1. */
export const SEND_LEVELS = [1, 8, 32] as const;

export const SEND_MUTATION = `mutation Send($sessionId: ID!, $content: String!) {
  sendMessage(sessionId: $sessionId, content: $content) { created message { id uuid createdAt senderType content } }
}`;

/** About the size of a typical chat line. */
export const CONTENT = 'Hello, I have a question about my last invoice: the amount looks different from the quote.';

export interface Sender {
  actor: BenchActor;
  sessionId: string;
}

/** One customer per client, each writing into a support session of their own (sends within one session serialise by design). */
export async function prepareSenders(client: GraphQLClient, count: number): Promise<Sender[]> {
  const fixtures = new Fixtures(client);
  const admin = await fixtures.admin();
  const customers = await fixtures.users(admin, 'sender', count, 'USER');
  const senders: Sender[] = [];
  for (const actor of customers) senders.push({ actor, sessionId: await fixtures.supportSession(actor, admin) });
  return senders;
}

export type Query = (sql: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/**
 * The floor: what one send does at the SQL level, nothing else. In one transaction: lock the
 * session row, find the sender's participant row, insert the message, update the session's
 * counters, move the sender's watermarks, insert the outbox event.
 */
export async function sendAtSqlLevel(query: Query, sessionId: string, userId: string, content: string): Promise<void> {
  const { rows: sessions } = await query('select id, tenant_id, kind, status, customer_id, agent_id, waiting_since from chat_sessions where id = $1 for update', [sessionId]);
  const session = sessions[0]!;
  const { rows: participants } = await query('select id, role from participants where session_id = $1 and user_id = $2', [sessionId, userId]);
  const participantId = participants[0]!.id;
  const now = new Date();
  const uuid = randomUUID();
  const { rows: inserted } = await query(
    `insert into chat_messages (uuid, tenant_id, session_id, sender_id, sender_type, content, metadata, created_at)
     values ($1, $2, $3, $4, 'USER', $5, '{}', $6) returning id`,
    [uuid, session.tenant_id, sessionId, participantId, content, now],
  );
  const messageId = inserted[0]!.id;
  await query('update chat_sessions set message_count = message_count + 1, last_message_at = $2, updated_at = $2, waiting_since = coalesce(waiting_since, $2) where id = $1', [sessionId, now]);
  await query('update participants set last_read_message_id = $2, last_delivered_message_id = $2 where id = $1', [participantId, messageId]);
  const payload = { message: { id: String(messageId), uuid, sessionId, senderType: 'USER', content, metadata: {}, createdAt: now.toISOString() } };
  await query(`insert into session_events (tenant_id, session_id, type, payload, created_at) values ($1, $2, 'message.created', $3, $4)`, [session.tenant_id, sessionId, JSON.stringify(payload), now]);
}

export interface SendComparison {
  senders: Sender[];
  client: GraphQLClient;
  /** Runs one floor send for `sender` in a transaction of its own. */
  floorSend(sender: Sender): Promise<void>;
  /**
   * `interleaved`: at each level Parley then the floor, back to back (they share the noise of
   * the moment). `parley-first`: every level on Parley, then `beforeFloor()`, then every level on
   * the floor (for an embedded database only one process can open).
   */
  order: 'interleaved' | 'parley-first';
  beforeFloor?: () => Promise<void>;
  seconds: number;
  warmupSeconds: number;
  log(line: string): void;
  /** Whether to judge rows against the issue's target (≥ 50% of the HTTP floor, or of the floor when there is none). */
  withTarget: boolean;
  /**
   * The HTTP floor (bench/lib/http-floor.ts), measured at every level beside the raw floor:
   * `start` brings it up and returns a client for its send path; `stop` ends it (with an
   * embedded database, before the raw floor opens the same data directory).
   */
  httpFloor?: { start(): Promise<GraphQLClient>; stop(): Promise<void> };
}

function numbers(summary: LoadSummary): Record<string, number> {
  return { clients: summary.clients, per_s: summary.per_s, p50_ms: summary.p50_ms, p99_ms: summary.p99_ms, count: summary.count };
}

/** Scenario 1's measurement: at each concurrency, Parley over GraphQL and the floor, for the same time each. */
export async function compareSends(c: SendComparison): Promise<BenchRow[]> {
  const viaParley = (worker: number) => c.client.request(SEND_MUTATION, { sessionId: c.senders[worker]!.sessionId, content: CONTENT }, c.senders[worker]!.actor.token);
  const viaFloor = (worker: number) => c.floorSend(c.senders[worker]!);
  // Warm each path (JIT, connection pools, plan caches) before anything on it is timed.
  const parleyAt = async (clients: number) => closedLoop(clients, c.seconds, viaParley);
  let floorReady = false;
  const floorAt = async (clients: number) => {
    if (!floorReady) {
      await c.beforeFloor?.();
      await closedLoop(8, c.warmupSeconds, viaFloor);
      floorReady = true;
    }
    return closedLoop(clients, c.seconds, viaFloor);
  };
  let httpClient: GraphQLClient | null = null;
  const viaHttp = (worker: number) => httpClient!.request(SEND_MUTATION, { sessionId: c.senders[worker]!.sessionId, content: CONTENT }, c.senders[worker]!.actor.token);
  const httpAt = async (clients: number) => {
    if (!httpClient) {
      // It must answer what Parley answers before its numbers mean anything (Parley is asked
      // first: with an embedded database, starting the floor stops Parley).
      const mine = await viaParley(0);
      httpClient = await c.httpFloor!.start();
      assertSameAnswer('sendMessage', mine, await viaHttp(0), false);
      await closedLoop(8, c.warmupSeconds, viaHttp);
    }
    return closedLoop(clients, c.seconds, viaHttp);
  };
  await closedLoop(8, c.warmupSeconds, viaParley);
  const parley = new Map<number, LoadSummary>();
  const floor = new Map<number, LoadSummary>();
  const http = new Map<number, LoadSummary>();
  try {
    if (c.order === 'interleaved') {
      for (const clients of SEND_LEVELS) {
        parley.set(clients, await parleyAt(clients));
        floor.set(clients, await floorAt(clients));
        if (c.httpFloor) http.set(clients, await httpAt(clients));
      }
    } else {
      for (const clients of SEND_LEVELS) parley.set(clients, await parleyAt(clients));
      if (c.httpFloor) {
        for (const clients of SEND_LEVELS) http.set(clients, await httpAt(clients));
        await c.httpFloor.stop();
      }
      for (const clients of SEND_LEVELS) floor.set(clients, await floorAt(clients));
    }
  } finally {
    (httpClient as GraphQLClient | null)?.close();
    await c.httpFloor?.stop();
  }
  return SEND_LEVELS.map((clients) => {
    const p = parley.get(clients)!;
    const f = floor.get(clients)!;
    const h = http.get(clients);
    const ratio = round(p.per_s / f.per_s);
    const httpRatio = h ? round(p.per_s / h.per_s) : undefined;
    c.log(
      `  ${clients} sender(s): parley ${p.per_s}/s p99 ${p.p99_ms} ms, floor ${f.per_s}/s p99 ${f.p99_ms} ms, ratio ${ratio}${h ? `; HTTP floor ${h.per_s}/s p99 ${h.p99_ms} ms, ratio ${httpRatio}` : ''}`,
    );
    const judged = httpRatio ?? ratio;
    return {
      label: `${clients} sender${clients === 1 ? '' : 's'}`,
      parley: numbers(p),
      floor: numbers(f),
      ratio,
      ...(h ? { httpFloor: numbers(h), httpRatio } : {}),
      ...(c.withTarget ? { target: { text: `messages/s ≥ 50% of the ${h ? 'HTTP' : 'raw-pg'} floor`, met: judged >= 0.5 } } : {}),
    };
  });
}

/** The HTTP floor of a send, in words (scenario 1 and its embedded twin). */
export const HTTP_FLOOR_SEND =
  "A bare node:http server in a child process of its own (bench/lib/http-floor.ts) over the same database, pool size 10: it parses the same request body, looks the bearer token up among the bench's tokens (constant-time compare; no JWT, no user lookup), and runs Parley's send transaction statement for statement with the same tenant scope (lock the session row, read its participants with their users, insert the message, insert the outbox event with the same payload, numbered by the same trigger; update the session's counters and last message id in one statement; move the sender's watermarks), then writes the same JSON. Same client, same keep-alive HTTP, same concurrency.";
