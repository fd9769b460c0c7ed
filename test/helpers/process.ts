import { spawn, type ChildProcess } from 'node:child_process';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** The exit code, once the process ends. */
  exited: Promise<number | null>;
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
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (code !== 0) process.stderr.write(output);
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', () => {
      const match = /Parley GraphQL API at (http:\/\/\S+)\/graphql/.exec(output);
      if (match) resolve({ child, url: match[1]!, exited });
    });
    exited.then(
      (code) => reject(new Error(`server exited with ${code}: ${output}`)),
      (error: unknown) => reject(error),
    );
  });
}
