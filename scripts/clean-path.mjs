import { delimiter } from 'node:path';

/**
 * PATH without any node_modules/.bin: `npm run` puts this checkout's first, and with it the
 * project's Node 24 (the `node` devDependency) and its tools. A check that means the machine's
 * own Node and npm, or a fresh folder that must bring its own tools, runs on this PATH.
 */
export function cleanPath() {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir && !dir.includes('node_modules'))
    .join(delimiter);
}
