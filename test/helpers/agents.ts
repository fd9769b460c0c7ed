import WebSocket from 'ws';
import { wsUrl } from './subscriptions.js';

/**
 * An open graphql-ws connection that subscribes to nothing: what makes a user "online". Resolves
 * once the server acknowledged it (presence is registered before the acknowledgement).
 */
export async function connectAgent(httpUrl: string, token: string): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`closed with ${code} before connection_ack`)));
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve();
    });
  });
  socket.removeAllListeners('close');
  socket.removeAllListeners('error');
  socket.on('error', () => undefined);
  return socket;
}

/** Closes the socket and waits until the client side has seen it close. */
export async function disconnect(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return;
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.close();
  });
}

/**
 * Polls `read` until `done` holds of what it returns (the server releases presence after the socket
 * closes, asynchronously). Fails with the last value after `attempts` tries.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, attempts = 200, pauseMs = 50): Promise<T> {
  let last: T | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`condition never held; last value: ${JSON.stringify(last)}`);
}
