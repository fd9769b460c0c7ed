import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Config } from '../config/config.js';
import { handleLegacyUpgrade, LEGACY_CHAT_PATH } from '../rest/chat-api/chat-api.ws.js';
import { CLOSE_AUTH_REFUSED, type GraphQLWsOptions, serveGraphQLWs } from './graphql-ws.js';
import type { OriginPolicy } from './origin-policy.js';
import { decodePathSegment, parseUpgradeTarget } from './upgrade-target.js';

/** The close reason (4403) a browser page on an origin that may not open a socket receives. */
export const ORIGIN_NOT_ALLOWED = 'ORIGIN_NOT_ALLOWED';

/** Close code sent to every socket on shutdown: clients reconnect elsewhere and resume with `since`. */
export const CLOSE_GOING_AWAY = 1001;

export interface WebSocketsOptions extends Omit<GraphQLWsOptions, 'maxSubscriptions' | 'initTimeoutMs'> {
  logger: Logger;
  /** Frame size, subscriptions per connection and connection_init timeout (config WS_*). */
  websocket: Config['websocket'];
  /** Browser origins allowed to open a socket. */
  origins: OriginPolicy;
}

export interface WebSockets {
  /** Refuses new upgrades, closes every socket with 1001 and ends their subscriptions. */
  close(): Promise<void>;
}

function reject(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed || !socket.writable) return;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Both WebSocket endpoints on the API's HTTP server: graphql-ws on `/graphql` and the legacy
 * chat socket on `/ws/chat/{sessionId}`. Upgrades to any other path are refused with 404.
 */
export function attachWebSockets(httpServer: Server, options: WebSocketsOptions): WebSockets {
  // A frame over the limit closes the socket with 1009 (Message Too Big).
  const maxPayload = options.websocket.maxPayloadBytes;
  const graphqlWss = new WebSocketServer({ noServer: true, maxPayload });
  const legacyWss = new WebSocketServer({ noServer: true, maxPayload });
  /** Completes upgrades that are refused at once (disallowed origins), so the browser can read why. */
  const refusedWss = new WebSocketServer({ noServer: true, maxPayload: 1024, clientTracking: false });
  const graphqlWs = serveGraphQLWs(graphqlWss, {
    ...options,
    maxSubscriptions: options.websocket.maxSubscriptions,
    initTimeoutMs: options.websocket.initTimeoutMs,
  });
  let closing = false;

  // Nothing on the upgrade path may throw or reject unhandled: an upgrade reaches us before
  // any framework, and one uncaught error here ends the whole process.
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that resets mid-handshake must not become an unhandled 'error' event.
    socket.on('error', () => socket.destroy());
    if (closing) return reject(socket, 503, 'Service Unavailable');
    options.origins
      .allows(request.headers.origin, request.headers.host)
      .then(
        (allowed) => (allowed ? route(request, socket, head) : refuseOrigin(request, socket, head)),
        (error: unknown) => {
          options.logger.error({ err: error }, 'websocket origin check failed');
          reject(socket, 503, 'Service Unavailable');
        },
      )
      .catch((error: unknown) => {
        options.logger.error({ err: error }, 'websocket upgrade failed');
        reject(socket, 500, 'Internal Server Error');
      });
  };
  /**
   * A browser never sees an HTTP refusal's status or body, only close 1006. On /graphql the
   * upgrade is therefore completed and at once closed with 4403 `ORIGIN_NOT_ALLOWED` (nothing is
   * read or run on it); the legacy socket keeps its documented HTTP refusals (403). Both are logged.
   */
  const refuseOrigin = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = parseUpgradeTarget(request.url);
    const endpoint = target?.pathname === '/graphql' ? 'graphql-ws' : 'legacy';
    options.logger.info({ endpoint, peer: request.socket.remoteAddress, origin: request.headers.origin, reason: ORIGIN_NOT_ALLOWED }, 'websocket refused');
    if (endpoint !== 'graphql-ws') return reject(socket, 403, 'Forbidden');
    refusedWss.handleUpgrade(request, socket, head, (ws) => ws.close(CLOSE_AUTH_REFUSED, ORIGIN_NOT_ALLOWED));
  };
  const route = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = parseUpgradeTarget(request.url);
    if (!target) return reject(socket, 400, 'Bad Request');
    if (target.pathname === '/graphql') {
      graphqlWss.handleUpgrade(request, socket, head, (ws) => graphqlWss.emit('connection', ws, request));
      return;
    }
    const legacy = LEGACY_CHAT_PATH.exec(target.pathname);
    if (!legacy) return reject(socket, 404, 'Not Found');
    const sessionId = decodePathSegment(legacy[1]!);
    if (sessionId === null) return reject(socket, 400, 'Bad Request');
    handleLegacyUpgrade(legacyWss, { request, socket, head, sessionId, query: target.query }, options).catch((error: unknown) => {
      options.logger.error({ err: error }, 'legacy chat websocket upgrade failed');
      reject(socket, 500, 'Internal Server Error');
    });
  };
  httpServer.on('upgrade', onUpgrade);

  return {
    close: async () => {
      closing = true;
      httpServer.off('upgrade', onUpgrade);
      for (const client of legacyWss.clients) client.close(CLOSE_GOING_AWAY, 'Server shutting down');
      // graphql-ws's dispose closes its sockets with 1001 too, ending their subscriptions.
      await graphqlWs.dispose();
      await new Promise<void>((resolve) => legacyWss.close(() => resolve()));
      // Sockets that do not finish the close handshake within a second are cut, so shutdown stays bounded.
      const stragglers = [...graphqlWss.clients, ...legacyWss.clients].filter((client) => client.readyState !== client.CLOSED);
      await Promise.all(
        stragglers.map(
          (client) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                client.terminate();
                resolve();
              }, 1000);
              client.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
            }),
        ),
      );
    },
  };
}
