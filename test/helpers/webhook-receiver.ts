import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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
    goAway: () => new Promise<void>((resolve) => {
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
