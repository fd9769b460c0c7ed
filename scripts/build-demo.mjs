// Builds the demo console (/demo) into dist/demo: the pages and stylesheet as they are, and one
// browser bundle per page from demo/src, with the client SDK compiled in from client/src (the
// SDK the demo shows is the one in this repository, as it is now).
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'demo');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
for (const page of ['index.html', 'widget.html', 'agent.html']) cpSync(join(root, 'demo', 'public', page), join(out, page));
cpSync(join(root, 'demo', 'public', 'demo.css'), join(out, 'assets', 'demo.css'));

await build({
  entryPoints: { widget: join(root, 'demo', 'src', 'widget.ts'), agent: join(root, 'demo', 'src', 'agent.ts') },
  outdir: join(out, 'assets'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  alias: { '@parley/client': join(root, 'client', 'src', 'index.ts') },
  logLevel: 'warning',
});
