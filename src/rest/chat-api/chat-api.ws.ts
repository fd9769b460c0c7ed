import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ContextFactory, RequestContext } from '../../app/context.js';
import { streamSourceFor } from '../../app/stream-source.js';
import { isMessageEvent } from '../../model/event-contract.js';
import type { Metrics } from '../../observability/metrics.js';
import { type RateLimiter, rateLimited, SUBSCRIBE_OPERATION } from '../../ratelimit/rate-limiter.js';
import { openSessionStream, type Stream, type StreamItem } from '../../realtime/session-stream.js';
import { DomainError, unauthenticated, unavailable } from '../../shared/errors.js';
import { clientAddress } from '../../shared/request-origin.js';
import { chatApiFailure } from './chat-api.errors.js';
import { toChatApiMessage, toChatApiSession, toChatApiTyping } from './chat-api.shapes.js';

/** `/ws/chat/{sessionId}` (seed 001). */
export const LEGACY_CHAT_PATH = /^\/ws\/chat\/([^/?#]+)\/?$/;

/** Close code when the stream ends because access was lost (1008: policy violation). */
export const LEGACY_CLOSE_FORBIDDEN = 1008;

/** The seed's envelope; `id` (the outbox event id, for `?since=`) is our addition, absent on typing. */
export interface LegacyFrame {
  type: 'message' | 'typing' | 'session_update';
  data: unknown;
  id?: string;
}

/**
 * Seed 001's three event types, in the chat API shapes (the REST routes use the same functions).
 * Receipts (read/delivery) have no event type in the seed and are not sent; message events
 * carry read/status as of sending. Private notes are never sent, to staff either: the seed's
 * message shape cannot mark one (the GraphQL subscription shows them to staff, marked).
 */
export function toLegacyFrame(item: StreamItem): LegacyFrame | null {
  if (item.kind === 'typing') return { type: 'typing', data: toChatApiTyping(item.typing) };
  const { event } = item;
  if (isMessageEvent(event)) return event.payload.message.private ? null : { type: 'message', id: event.id, data: toChatApiMessage(event.payload.message) };
  if (event.type === 'session.updated') return { type: 'session_update', id: event.id, data: toChatApiSession(event.payload.session) };
  return null;
}

/** Refuses the upgrade with a plain HTTP response in the chat API error body: no WebSocket is opened. */
function refuse(socket: Duplex, error: unknown): void {
  if (socket.destroyed || !socket.writable) return;
  const code = error instanceof DomainError ? error.code : undefined;
  const { status, body } = chatApiFailure(code, error instanceof Error ? error.message : 'Refused');
  const json = JSON.stringify(body);
  const reason =
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 429: 'Too Many Requests', 503: 'Service Unavailable' }[status] ?? 'Internal Server Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
}

/** An upgrade already routed here: the path's session id is decoded, the query parsed (see upgrade-target.ts). */
export interface LegacyUpgrade {
  request: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  sessionId: string;
  query: URLSearchParams;
}

export interface LegacyChatOptions {
  contexts: ContextFactory;
  logger: Logger;
  metrics?: Metrics;
  rateLimiter: RateLimiter;
}

/**
 * The legacy chat WebSocket: a one-way adapter over the session stream (same access rules,
 * same gap-free `?since=` resume). The bearer token comes from the Authorization header or,
 * for browsers that cannot set it, `?token=`. Authorization, the session check and `since`
 * validation all happen before the upgrade, so a refused client never sees an event.
 */
export async function handleLegacyUpgrade(wss: WebSocketServer, upgrade: LegacyUpgrade, options: LegacyChatOptions): Promise<void> {
  const { request, socket, head, sessionId, query } = upgrade;
  const token = query.get('token');
  const authorization = request.headers.authorization ?? (token ? `Bearer ${token}` : undefined);
  let stream: Stream<StreamItem>;
  let context: RequestContext;
  try {
    // Held while the socket is open: a connection context, which keeps no fork between database touches.
    context = await options.contexts.forConnection(authorization, clientAddress(request.socket.remoteAddress, request.headers['user-agent']));
    if (context.viewer.kind === 'anonymous') throw unauthenticated();
    // Opening this socket creates a subscription: counted like graphql-ws subscribe messages.
    const decision = await options.rateLimiter.check(context.rateLimitIdentity, SUBSCRIBE_OPERATION, 'subscription');
    if (!decision.allowed) throw rateLimited(decision);
    stream = await openSessionStream(
      streamSourceFor(context, (error) => options.logger.error({ err: error }, 'legacy chat websocket background error')),
      { sessionId, since: query.get('since') },
    );
  } catch (error) {
    if (!(error instanceof DomainError)) options.logger.error({ err: error }, 'legacy chat websocket upgrade failed');
    // Anything but a refusal is a dependency out of reach: 503, retryable.
    refuse(socket, error instanceof DomainError ? error : unavailable());
    return;
  }
  const opened = stream;
  if (socket.destroyed) {
    // The client left while it was being authorised: end the stream it will never read.
    await opened.return(undefined);
    return;
  }
  wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
    options.metrics?.wsConnections.inc({ endpoint: 'legacy' });
    // A signed-in user is online while this socket is open (assignment/presence.ts).
    const presence = context.assignment.connected().catch((error: unknown) => {
      options.logger.warn({ err: error }, 'presence registration failed');
      return async () => {};
    });
    ws.on('close', () => {
      presence.then((release) => release()).catch((error: unknown) => options.logger.warn({ err: error }, 'presence release failed'));
      options.metrics?.wsConnections.dec({ endpoint: 'legacy' });
      opened.return(undefined).catch((error: unknown) => options.logger.error({ err: error }, 'legacy chat websocket stream did not end cleanly'));
    });
    // Incoming frames are ignored: the seed's socket only pushes (clients send over REST).
    ws.on('error', () => ws.terminate());
    (async () => {
      try {
        for await (const item of opened) {
          const frame = toLegacyFrame(item);
          if (!frame || ws.readyState !== ws.OPEN) continue;
          await new Promise<void>((resolve) => ws.send(JSON.stringify(frame), () => resolve()));
          options.metrics?.eventsDelivered.inc({ type: 'legacy' });
        }
      } catch (error) {
        const code = error instanceof DomainError ? error.code : 'INTERNAL_SERVER_ERROR';
        if (!(error instanceof DomainError)) options.logger.error({ err: error }, 'legacy chat websocket stream failed');
        if (ws.readyState === ws.OPEN) ws.close(code === 'FORBIDDEN' ? LEGACY_CLOSE_FORBIDDEN : 1011, code);
      }
    })().catch((error: unknown) => {
      options.logger.error({ err: error }, 'legacy chat websocket stream failed');
      ws.terminate();
    });
  });
}
