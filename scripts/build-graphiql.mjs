// Builds the GraphiQL page's own script and stylesheet (src/graphql/ide.ts serves them at
// /graphql/ide/) into dist/graphiql: graphiql/src/page.ts bundled with the graphql-ws client.
// GraphiQL and React are not bundled: the page loads their UMD builds from the installed packages.
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'graphiql');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(root, 'graphiql', 'page.css'), join(out, 'page.css'));

await build({
  entryPoints: { page: join(root, 'graphiql', 'src', 'page.ts') },
  outdir: out,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
