import { connect } from 'node:net';

export interface RawResponse {
  /** The status code of the first status line, or null when the server closed without one. */
  status: number | null;
  /** Everything received up to the end of the head (and whatever arrived with it). */
  text: string;
  /** The JSON body, when the head said how long it is and all of it arrived. */
  body: unknown;
}

/**
 * Writes bytes to the server over a plain TCP socket (no client library to tidy them up) and
 * resolves with the first response head it answers, or with whatever arrived when the server
 * closed. For requests a real client could never send: malformed targets, odd headers, bodies
 * shorter than their Content-Length.
 */
export function rawRequest(url: string, bytes: string | Buffer): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      const head = received.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(received.slice(0, head));
      let body: unknown = null;
      if (head !== -1 && length && received.length >= head + 4 + Number(length[1])) {
        try {
          body = JSON.parse(received.slice(head + 4, head + 4 + Number(length[1])));
        } catch {
          body = null;
        }
      }
      resolve({ status: match ? Number(match[1]) : null, text: received, body });
    };
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const head = received.indexOf('\r\n\r\n');
      if (head === -1) return;
      // A 101 is complete at its head; other answers once their declared body is in.
      const length = /\r\ncontent-length: *(\d+)/i.exec(received.slice(0, head));
      if (/^HTTP\/1\.1 101/.test(received) || !length || received.length >= head + 4 + Number(length[1])) finish();
    });
    // The server may reset a connection it refused while the client was still writing.
    socket.on('error', (error: NodeJS.ErrnoException) => (received ? finish() : error.code === 'ECONNRESET' ? finish() : reject(error)));
    socket.on('close', finish);
  });
}

/** A WebSocket upgrade request for `target` with the standard handshake headers plus `headers` (raw lines). */
export function upgradeRequest(target: string, headers: string[] = []): string {
  return [
    `GET ${target} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
    '',
    '',
  ].join('\r\n');
}
