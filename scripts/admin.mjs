// `npm run admin -- …`: the compiled admin CLI, built first only when the build is missing or a
// source or compiler setting is newer than it (a build costs several seconds, the CLI about one).
// The build's output goes to stderr, so the CLI's stdout stays exactly what the command printed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli', 'admin.js');

/** The newest modification time among the files the build compiles from. */
function newestSource() {
  const sources = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  return Math.max(...[...sources, join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')].map((file) => statSync(file).mtimeMs));
}

if (!existsSync(cli) || newestSource() > statSync(cli).mtimeMs) {
  process.stderr.write('admin: sources changed since the last build; building first\n');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// The CLI reads its arguments from process.argv.slice(2), which are this script's own.
await import(pathToFileURL(cli).href);
