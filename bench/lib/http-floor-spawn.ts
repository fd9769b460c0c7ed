import { fork } from 'node:child_process';
import { type BenchActor, readyUrl, stopChild } from './parley.js';

/** What the harness tells the floor process (bench/lib/http-floor-process.ts) to open. */
export interface FloorStart {
  type: 'start';
  /** null: no database (the bare round trip and the ws broadcast only). */
  db: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string } | null;
  /** The bench's signed-in actors: their Parley tokens are the floor's bearer tokens. */
  actors: { token: string; userId: string }[];
}

export interface HttpFloorProcess {
  /** Base URL; append a FLOOR_PATHS entry (bench/lib/http-floor.ts). */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the HTTP floor in a child process (its own event loop, as Parley has one) over the
 * given database, knowing `actors` by their tokens. Resolves once it listens on port 0.
 */
export async function spawnHttpFloor(db: FloorStart['db'], actors: readonly BenchActor[]): Promise<HttpFloorProcess> {
  const child = fork(new URL('./http-floor-process.js', import.meta.url), [], { execArgv: ['--enable-source-maps'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = readyUrl(child, 'HTTP floor');
  const start: FloorStart = { type: 'start', db, actors: actors.map(({ token, userId }) => ({ token, userId })) };
  child.send(start);
  const url = await ready;
  let stopped: Promise<void> | null = null;
  return { url, stop: () => (stopped ??= stopChild(child)) };
}

/** The answer with every leaf replaced by its type: what must agree when ids and times differ. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, shapeOf(v)]));
  return value === null ? 'null' : typeof value;
}

/**
 * Refuses to measure a floor that answers differently from Parley: the same JSON text when
 * `exact` (pages of the same rows), else the same fields in the same order with the same types
 * (sends, whose ids and times differ).
 */
export function assertSameAnswer(label: string, parley: unknown, floor: unknown, exact: boolean): void {
  const [a, b] = exact ? [JSON.stringify(parley), JSON.stringify(floor)] : [JSON.stringify(shapeOf(parley)), JSON.stringify(shapeOf(floor))];
  if (a !== b) throw new Error(`the HTTP floor answers ${label} differently from Parley:\n parley ${a.slice(0, 600)}\n floor  ${b.slice(0, 600)}`);
}
