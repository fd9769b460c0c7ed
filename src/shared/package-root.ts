import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root (where package.json is), found from this module's place in src/ or
 * dist/src/, so files beside the code (examples/, dist/demo/) are found however it runs.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above this module');
    dir = parent;
  }
  return dir;
}
