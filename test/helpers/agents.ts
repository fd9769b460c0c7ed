import WebSocket from 'ws';
import type { TestServer } from './server.js';
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

/** The default tenant's agents holding more ACTIVE support sessions than `capacity`, straight from the table. */
export function agentsOverCapacity(t: TestServer, capacity: number): Promise<{ agent_id: string; active: number }[]> {
  return t.server.orm.em
    .fork()
    .getConnection()
    .execute(
      `select agent_id::text as agent_id, count(*)::int as active from chat_sessions
        where tenant_id = ? and status = 'ACTIVE' and kind = 'SUPPORT' and agent_id is not null
        group by agent_id having count(*) > ?`,
      [t.server.defaultTenantId, capacity],
    );
}

/**
 * The event log of assignments in the default tenant: per session that was ever given an agent,
 * the agent each of its `session.updated` (changes: agent) events named, and its agent now.
 */
export function assignmentLog(t: TestServer): Promise<{ session_id: string; agents: string[]; current: string }[]> {
  return t.server.orm.em
    .fork()
    .getConnection()
    .execute(
      `select e.session_id::text as session_id, array_agg(e.payload->'session'->>'agentId') as agents, s.agent_id::text as current
         from session_events e join chat_sessions s on s.id = e.session_id
        where e.tenant_id = ? and e.type = 'session.updated' and e.payload->'changes' @> '["agent"]'::jsonb
        group by e.session_id, s.agent_id`,
      [t.server.defaultTenantId],
    );
}
