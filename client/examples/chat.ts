// A terminal chat on @parley/client: signs in, opens a session (or joins the one given), prints
// its messages as they arrive and sends every line typed on stdin. Ctrl-C leaves at any time; at
// the end of piped input it leaves once the server has delivered back what it sent.
//
// chat.mjs is the same program in plain JavaScript. This one runs as it is on Node 22.18+ and 24
// (they strip the types), or compiled with tsc on any Node from 20:
//   npm install @parley/client graphql ws && npm install -D typescript @types/node @types/ws
//   PARLEY_PASSWORD=… node chat.ts [sessionId]
//
// PARLEY_URL (default http://localhost:4000/graphql), PARLEY_USERNAME (default admin),
// PARLEY_PASSWORD, and PARLEY_SESSION or the first argument to join a session instead of opening one.

import type { Interface } from 'node:readline';
import { createInterface } from 'node:readline';
import { createParleyClient, documents, type Message } from '@parley/client';

/** How long leaving may wait for the server (closing the socket, echoes of the last lines). */
const LEAVE_TIMEOUT_MS = 5000;

const url = process.env.PARLEY_URL || 'http://localhost:4000/graphql';
const username = process.env.PARLEY_USERNAME || 'admin';
const password = process.env.PARLEY_PASSWORD;
if (!password) {
  console.error('Set PARLEY_PASSWORD (and PARLEY_USERNAME, PARLEY_URL if not admin on localhost:4000).');
  process.exit(2);
}

const parley = createParleyClient({
  url,
  credentials: { username, password },
  // Node 22+ and browsers have a global WebSocket; Node 20 takes the one of the `ws` package.
  webSocketImpl: globalThis.WebSocket ?? (await import('ws')).default,
  on: { connected: () => console.error('(live)') },
});

let leaving = false;
let stopWatching = () => {};
let lines: Interface | undefined;

/** Stops the watch, lets go of stdin and the socket, and exits (also when the server does not answer). */
async function leave(code: number): Promise<void> {
  if (leaving) return;
  leaving = true;
  stopWatching();
  lines?.close();
  process.stdin.destroy();
  setTimeout(() => process.exit(code), LEAVE_TIMEOUT_MS);
  await parley.close().catch(() => {});
  process.exit(code);
}
// Registered before signing in, so Ctrl-C works at any point; readline reports it itself on a terminal.
process.once('SIGINT', () => leave(0));

const show = (message: Message) => console.log(`${message.senderName}: ${message.content}`);
/** Ids of the messages shown, and who waits for one to come back. */
const shown = new Set<string>();
const awaited = new Map<string, () => void>();
const echoOf = (id: string): Promise<void> => (shown.has(id) ? Promise.resolve() : new Promise((resolve) => awaited.set(id, resolve)));

try {
  let sessionId = process.argv[2] || process.env.PARLEY_SESSION;
  if (!sessionId) {
    const { createSession } = await parley.request(documents.SdkCreateSessionDocument, { subject: `Terminal chat of ${username}` });
    sessionId = createSession.id;
    console.error(`Opened session ${sessionId}.`);
  }

  await new Promise<void>((historyShown) => {
    stopWatching = parley.watchSession(sessionId, {
      onHistory: (messages) => {
        messages.forEach(show);
        historyShown();
      },
      onEvent: (event) => {
        if (event.__typename !== 'MessageEvent' || event.type !== 'MESSAGE_CREATED') return;
        show(event.message);
        shown.add(event.message.id);
        awaited.get(event.message.id)?.();
      },
      // Access lost or the session is gone: nothing more will arrive.
      onError: (error) => {
        console.error(`Stopped: ${error.message}`);
        return leave(1);
      },
    });
  });
  console.error(`Session ${sessionId}: type a message and press Enter; Ctrl-C leaves.`);

  const sent: Promise<void>[] = [];
  lines = createInterface({ input: process.stdin });
  lines.on('SIGINT', () => leave(0));
  lines.on('line', (line) => {
    const content = line.trim();
    if (!content) return;
    sent.push(
      parley.send(sessionId, content).then(
        ({ message }) => echoOf(message.id),
        (error: unknown) => console.error(`Not sent: ${error instanceof Error ? error.message : String(error)}`),
      ),
    );
  });
  // End of input (a pipe, or Ctrl-D): leave once every line came back over the live stream.
  lines.on('close', async () => {
    if (leaving) return;
    await Promise.race([Promise.all(sent), new Promise<void>((resolve) => setTimeout(resolve, LEAVE_TIMEOUT_MS))]);
    await leave(0);
  });
} catch (error) {
  if (!leaving) {
    console.error(error instanceof Error ? error.message : String(error));
    await leave(1);
  }
}
