import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { context, propagation } from '@opentelemetry/api';
import { type ResolvedAddress, resolveTarget, TargetRefused } from './outbound-guard.js';

export interface SendLimits {
  allowPrivateTargets: boolean;
  connectTimeoutMs: number;
  timeoutMs: number;
  responseBodyBytes: number;
}

/** What one attempt came to, as the attempts log records it. */
export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  /** Why no usable response came (null with any response; a non-2xx status says it itself). */
  error: string | null;
  responseBody: string;
}

/** A lookup that answers with the addresses already checked, so the connection goes where the check looked. */
const pinnedLookup = (addresses: ResolvedAddress[]): LookupFunction =>
  ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  }) as LookupFunction;

/**
 * POSTs one webhook: the target resolved and checked here, the connection made to the checked
 * address (TLS still verifies the host name), no redirects followed (a 3xx is a failure), a
 * connect and a total timeout, and at most `responseBodyBytes` of the response read. With tracing
 * on, the request carries the active trace's `traceparent` (nothing otherwise). Never throws.
 */
export async function postWebhook(url: string, headers: Record<string, string>, body: string, limits: SendLimits): Promise<AttemptOutcome> {
  const started = performance.now();
  const done = (outcome: Omit<AttemptOutcome, 'latencyMs'>): AttemptOutcome => ({ ...outcome, latencyMs: Math.round(performance.now() - started) });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return done({ ok: false, statusCode: null, error: 'INVALID_URL', responseBody: '' });
  }
  let addresses: ResolvedAddress[];
  let resolving: NodeJS.Timeout | undefined;
  try {
    // Name resolution counts against the total timeout too: the whole attempt must end in time (the claim's lease).
    addresses = await Promise.race([
      resolveTarget(target.hostname, limits.allowPrivateTargets),
      new Promise<never>((_resolve, reject) => (resolving = setTimeout(() => reject(new TargetRefused('DNS_FAILED', 'name resolution timed out')), limits.timeoutMs))),
    ]);
  } catch (error) {
    return done({ ok: false, statusCode: null, error: error instanceof TargetRefused ? error.reason : 'DNS_FAILED', responseBody: '' });
  } finally {
    clearTimeout(resolving);
  }
  const remainingMs = Math.max(1, limits.timeoutMs - (performance.now() - started));
  const traceHeaders: Record<string, string> = {};
  propagation.inject(context.active(), traceHeaders);
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<AttemptOutcome, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      clearTimeout(connect);
      resolve(done(outcome));
    };
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      {
        method: 'POST',
        // A fresh connection per attempt: a pooled socket could be to an address checked for another host.
        agent: false,
        lookup: pinnedLookup(addresses),
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Parley-Webhooks/1', ...traceHeaders, ...headers },
      },
      (response) =>
        readCapped(response, limits.responseBodyBytes, (text) => {
          const statusCode = response.statusCode ?? null;
          const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
          const redirect = statusCode !== null && statusCode >= 300 && statusCode < 400;
          finish({ ok, statusCode, error: redirect ? 'REDIRECT_NOT_FOLLOWED' : null, responseBody: text });
          request.destroy();
        }),
    );
    const fail = (error: string) => {
      finish({ ok: false, statusCode: null, error, responseBody: '' });
      request.destroy();
    };
    const total = setTimeout(() => fail('TIMEOUT'), remainingMs);
    const connect = setTimeout(() => fail('CONNECT_TIMEOUT'), limits.connectTimeoutMs);
    request.once('socket', (socket) => socket.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connect)));
    request.on('error', (error: NodeJS.ErrnoException) => fail(error.code ? `CONNECTION_FAILED:${error.code}`.slice(0, 64) : 'CONNECTION_FAILED'));
    request.end(body);
  });
}

/** Reads at most `cap` bytes of a response, then stops reading (the rest is never downloaded on purpose). */
function readCapped(response: IncomingMessage, cap: number, onDone: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onDone(Buffer.concat(chunks).subarray(0, cap).toString('utf8'));
  };
  response.on('data', (chunk: Buffer) => {
    if (size < cap) chunks.push(chunk);
    size += chunk.length;
    if (size >= cap) end();
  });
  response.once('end', end);
  response.once('error', end);
  response.once('close', end);
}
