import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body. */
  json: { type: string; timestamp: string; tenantId: string; sessionId: string | null; eventId: string | null; seq: string | null; data: Record<string, unknown> };
  status: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Every request, in arrival order, with the status it was answered with. */
  received: ReceivedWebhook[];
  /** Those answered 2xx. */
  accepted(): ReceivedWebhook[];
  /** Most requests for one webhook-id that were ever in flight at the same time. */
  maxConcurrentPerId: number;
  /** What to answer (status), per request; default 204. */
  respond: (hook: Omit<ReceivedWebhook, 'status'>) => number | Promise<number>;
  /** Stops listening (the port then refuses connections). */
  goAway(): Promise<void>;
  /** Listens again on the same port. */
  comeBack(): Promise<void>;
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP receiver on port 0 that records every webhook request. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const inFlight = new Map<string, number>();
  let server: Server;
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received: [],
    maxConcurrentPerId: 0,
    respond: () => 204,
    accepted: () => receiver.received.filter((hook) => hook.status >= 200 && hook.status < 300),
    goAway: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    comeBack: () => listen(receiver.port),
    async waitFor(predicate, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(receiver.received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${receiver.received.length}: ${receiver.received.map((h) => `${h.json.type}/${h.status}`).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => receiver.goAway(),
  };
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const id = String(request.headers['webhook-id']);
          const now = (inFlight.get(id) ?? 0) + 1;
          inFlight.set(id, now);
          receiver.maxConcurrentPerId = Math.max(receiver.maxConcurrentPerId, now);
          const body = Buffer.concat(chunks).toString('utf8');
          const hook = {
            id,
            timestamp: String(request.headers['webhook-timestamp']),
            signature: String(request.headers['webhook-signature']),
            headers: request.headers,
            body,
            json: JSON.parse(body) as ReceivedWebhook['json'],
          };
          Promise.resolve(receiver.respond(hook)).then(
            (status) => {
              inFlight.set(id, (inFlight.get(id) ?? 1) - 1);
              receiver.received.push({ ...hook, status });
              response.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? 'unavailable' : 'ok');
            },
            () => response.destroy(),
          );
        });
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        receiver.port = (server.address() as AddressInfo).port;
        receiver.url = `http://127.0.0.1:${receiver.port}/hooks`;
        resolve();
      });
    });
  await listen(0);
  return receiver;
}

/** Short, real retry delays: the semantics of the production schedule, at test speed. */
export const FAST_RETRIES = {
  WEBHOOK_RETRY_BASE_MS: '50',
  WEBHOOK_RETRY_MAX_DELAY_MS: '400',
  WEBHOOK_POLL_INTERVAL_MS: '50',
};

/** Every accepted request verifies with the `standardwebhooks` package and the endpoint's secret. */
export function verifyAll(hooks: ReceivedWebhook[], secret: string): void {
  const verifier = new Webhook(secret);
  for (const hook of hooks) {
    expect(verifier.verify(hook.body, { 'webhook-id': hook.id, 'webhook-timestamp': hook.timestamp, 'webhook-signature': hook.signature })).toEqual(hook.json);
  }
}

/**
 * In arrival order, a session's event is only sent once every earlier one was accepted (sessions
 * here start after their endpoint, so at seq 1). Repeats of accepted events may come (at least once).
 */
export function expectOrderedPerSession(received: ReceivedWebhook[]): void {
  const acceptedThrough = new Map<string, number>();
  for (const hook of received) {
    if (hook.json.sessionId === null) continue;
    const session = hook.json.sessionId;
    const seq = Number(hook.json.seq);
    const through = acceptedThrough.get(session) ?? 0;
    if (seq > through + 1) throw new Error(`session ${session}: seq ${seq} was sent while ${through + 1} was not yet accepted`);
    if (hook.status < 300 && seq === through + 1) acceptedThrough.set(session, seq);
  }
}

/** Polls `check` until it holds. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
