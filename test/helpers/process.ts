import { type ChildProcess, spawn } from 'node:child_process';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** The exit code, once the process ends (null when a signal ended it). */
  exited: Promise<number | null>;
  /** How the process ended: its exit code, or the signal that killed it. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node dist/src/main.js` (what `npm start` runs) as a process of its own and resolves
 * with its URL once it listens. Its output is shown only when it exits with an error.
 */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['dist/src/main.js'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      if (code !== 0) process.stderr.write(output);
      resolve({ code, signal });
    }),
  );
  const exited = ended.then(({ code }) => code);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', () => {
      const match = /Parley GraphQL API at (http:\/\/\S+)\/graphql/.exec(output);
      if (match) resolve({ child, url: match[1]!, exited, ended });
    });
    exited.then(
      (code) => reject(new Error(`server exited with ${code}: ${output}`)),
      (error: unknown) => reject(error),
    );
  });
}

/** `promise`, or a failure naming `what` once `timeoutMs` has passed without it settling. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
