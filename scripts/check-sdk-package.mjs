// Proves @parley/client (client/) works as the registry would hand it out: `npm pack` builds the
// tarball, which must hold only dist, README, LICENSE and CHANGELOG; an empty project installs it
// (with its peer graphql, and ws for Node 20) under this machine's Node and again under the
// project's Node 24; there the JavaScript example (client/examples/chat.mjs) signs in to a real
// server, opens a session, gets a piped line back over the live stream and exits; joins that
// session again (history, then a new line); and leaves with exit 0 on SIGINT while stdin stays
// open. Where Node strips types, the TypeScript example runs the same round trip; `tsc --noEmit`
// checks it and a small consumer file against the installed declarations (through `exports`), and
// a CommonJS require() of the package works where Node loads ES modules through require().
// Needs the server built (`npm run build`).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanPath } from './clean-path.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const ADMIN_PASSWORD = `sdk-check-${randomBytes(6).toString('hex')}`;
const SERVER_READY_MS = 60_000;
const EXAMPLE_MS = 30_000;
const SIGINT_EXIT_MS = 5_000;
/** What the tarball may hold besides package.json. */
const ALLOWED_IN_TARBALL = /^(dist\/.+|README\.md|LICENSE|CHANGELOG\.md)$/;
const REQUIRED_IN_TARBALL = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts'];

class CheckFailed extends Error {}
function fail(message) {
  throw new CheckFailed(message);
}

function which(program, path) {
  for (const dir of path.split(delimiter)) if (existsSync(join(dir, program))) return join(dir, program);
  return null;
}

function versionOf(node) {
  const result = spawnSync(node, ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) fail(`${node} --version failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** A PATH on which `node` (and so npm's own `#!/usr/bin/env node`) is the given binary. */
function pathWithNode(node, work) {
  const bin = mkdtempSync(join(work, 'bin-'));
  symlinkSync(node, join(bin, 'node'));
  return [bin, cleanPath()].join(delimiter);
}

function run(command, args, { cwd, env, label = `${command} ${args.join(' ')}` }) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) fail(`${label} (in ${cwd}) exited with ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** `npm pack` of the workspace (its prepack builds dist), then what the tarball holds. */
function pack(npm, work) {
  const out = run(npm, ['pack', '--workspace', 'client', '--pack-destination', work, '--json', '--silent'], { cwd: root, env: process.env });
  const [info] = JSON.parse(out.slice(out.indexOf('[')));
  const files = info.files.map((file) => file.path);
  const stray = files.filter((file) => file !== 'package.json' && !ALLOWED_IN_TARBALL.test(file));
  if (stray.length) fail(`the tarball holds files outside dist, README, LICENSE and CHANGELOG: ${stray.join(', ')} (client/package.json "files")`);
  const missing = REQUIRED_IN_TARBALL.filter((file) => !files.includes(file));
  if (missing.length) fail(`the tarball lacks ${missing.join(', ')} (did the prepack build run?)`);
  const manifest = JSON.parse(readFileSync(join(root, 'client', 'package.json'), 'utf8'));
  if (manifest.private) fail('client/package.json is private: npm would refuse to publish it');
  if (!manifest.license || manifest.license === 'UNLICENSED') fail('client/package.json has no usable license');
  if (manifest.exports?.['.']?.types === undefined) fail('client/package.json: exports["."] has no "types" condition');
  console.log(`packed ${info.filename}: ${files.length} files, ${(info.size / 1024).toFixed(0)} kB`);
  return join(work, info.filename);
}

/** Starts the built server on a free port with a throwaway database; resolves with its GraphQL URL and a stop function. */
async function startServer(node, work) {
  const main = join(root, 'dist', 'src', 'main.js');
  if (!existsSync(main)) fail(`${main} is missing: run \`npm run build\` first`);
  const dataDir = mkdtempSync(join(work, 'server-'));
  const env = { PATH: cleanPath(), HOME: process.env.HOME ?? tmpdir(), NODE_ENV: 'development', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: 'memory://', DATA_DIR: dataDir, ADMIN_PASSWORD, LOG_LEVEL: 'warn' };
  const child = spawn(node, ['--enable-source-maps', main], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const url = await waitFor(() => /Parley GraphQL API at (http:\/\/\S+\/graphql)/.exec(output)?.[1], SERVER_READY_MS, exited);
  if (!url) {
    child.kill('SIGKILL');
    fail(`the server did not start within ${SERVER_READY_MS} ms:\n${output}`);
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `probe` until it returns a value, the deadline passes or `ended` settles; returns the value or undefined. */
async function waitFor(probe, ms, ended) {
  let over = false;
  void ended.then(() => (over = true));
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value || over || Date.now() > deadline) return value || undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An empty project with the tarball installed, under the given Node (npm itself runs on it too). */
function consumerProject(work, name, tarball, path) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `sdk-consumer-${name}`, private: true, type: 'module' }, null, 2)}\n`);
  const pinned = (pkg) => `${pkg}@${rootPackage.dependencies[pkg] ?? rootPackage.devDependencies[pkg]}`;
  const env = { ...process.env, PATH: path };
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball, pinned('graphql'), pinned('ws'), pinned('@types/node'), pinned('@types/ws')], { cwd: dir, env, label: `npm install ${tarball}` });
  for (const example of ['chat.mjs', 'chat.ts']) copyFileSync(join(root, 'client', 'examples', example), join(dir, example));
  return dir;
}

/** Runs an example; `stdin` is written and closed, or left open when null. Resolves when it exits or `signal` is sent after `readyWhen`. */
function runExample(node, dir, file, args, { stdin, url, signalWhenReady = null }) {
  const env = { PATH: cleanPath(), HOME: process.env.HOME ?? tmpdir(), PARLEY_URL: url, PARLEY_USERNAME: 'admin', PARLEY_PASSWORD: ADMIN_PASSWORD };
  const child = spawn(node, [file, ...args], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const result = { stdout: '', stderr: '', exit: null, ms: null };
  child.stdout.on('data', (chunk) => (result.stdout += chunk));
  child.stderr.on('data', (chunk) => (result.stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((result.exit = signal ?? code))));
  const label = `${file} ${args.join(' ')} (${versionOf(node)})`;
  const describe = () => `${label}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
  return (async () => {
    if (stdin !== null) child.stdin.end(stdin);
    if (signalWhenReady) {
      // Signalled once its stream is live, with stdin still open: the case an interactive user is in.
      const live = await waitFor(() => result.stderr.includes('(live)'), EXAMPLE_MS, exited);
      if (!live) fail(`${label} never went live (no "(live)" on stderr)\n${describe()}`);
      const sentAt = Date.now();
      child.kill(signalWhenReady);
      const done = await waitFor(() => result.exit !== null, SIGINT_EXIT_MS, exited);
      result.ms = Date.now() - sentAt;
      if (!done && result.exit === null) {
        child.kill('SIGKILL');
        fail(`${label} was still running ${SIGINT_EXIT_MS} ms after ${signalWhenReady} with stdin open\n${describe()}`);
      }
    } else {
      const done = await waitFor(() => result.exit !== null, EXAMPLE_MS, exited);
      if (!done && result.exit === null) {
        child.kill('SIGKILL');
        fail(`${label} did not exit within ${EXAMPLE_MS} ms after its stdin ended\n${describe()}`);
      }
    }
    await exited;
    if (result.exit !== 0) fail(`${label} exited with ${result.exit}, expected 0\n${describe()}`);
    return { ...result, describe };
  })();
}

/** The example's round trips and its Ctrl-C under one Node. */
async function checkExamples(node, dir, url, files) {
  for (const file of files) {
    const first = `first line ${randomBytes(4).toString('hex')}`;
    const opened = await runExample(node, dir, file, [], { stdin: `${first}\n`, url });
    const sessionId = /Opened session (\S+)\./.exec(opened.stderr)?.[1];
    if (!sessionId) fail(`${file} did not report the session it opened\n${opened.describe()}`);
    if (!opened.stdout.includes(`: ${first}\n`)) fail(`${file}: the line sent was not printed back from the live stream\n${opened.describe()}`);

    const second = `second line ${randomBytes(4).toString('hex')}`;
    const joined = await runExample(node, dir, file, [sessionId], { stdin: `${second}\n`, url });
    const history = joined.stdout.indexOf(`: ${first}\n`);
    const live = joined.stdout.indexOf(`: ${second}\n`);
    if (history === -1 || live === -1 || history > live) fail(`${file} ${sessionId}: expected the earlier line from history, then the new line live\n${joined.describe()}`);
    console.log(`  ${file}: opened session ${sessionId}, line echoed live; joined it again, history + new line; exit 0`);
  }
  const interrupted = await runExample(node, dir, files[0], [], { stdin: null, url, signalWhenReady: 'SIGINT' });
  console.log(`  ${files[0]}: SIGINT with stdin open → exit 0 after ${interrupted.ms} ms`);
}

/** tsc --noEmit over the TypeScript example and a small consumer, declarations checked too (skipLibCheck off). */
function checkTypes(dir) {
  writeFileSync(
    join(dir, 'consumer.ts'),
    `import { createParleyClient, documents, ParleyError, possibleTypes, type Message, type ParleyClient, type SessionEvent } from '@parley/client';

const client: ParleyClient = createParleyClient({ url: 'http://localhost:4000/graphql', credentials: { username: 'a', password: 'b' } });
export const sent: Promise<{ created: boolean; message: Message }> = client.send('1', 'hello');
export const opened: Promise<{ createSession: { id: string } }> = client.request(documents.SdkCreateSessionDocument, { subject: 'x' });
export const kinds: string[] = possibleTypes.SessionEvent;
export const isMessage = (event: SessionEvent): boolean => event.__typename === 'MessageEvent';
export const failed = (error: unknown): boolean => error instanceof ParleyError;
// @ts-expect-error content is a string
client.send('1', 42);
`,
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    `${JSON.stringify({ compilerOptions: { target: 'es2023', lib: ['es2023'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, include: ['chat.ts', 'consumer.ts'] }, null, 2)}\n`,
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) fail(`tsc --noEmit of examples/chat.ts and a consumer file against the installed package failed:\n${result.stdout}${result.stderr}`);
  console.log('  tsc --noEmit: examples/chat.ts and consumer.ts typecheck against the installed declarations');
}

/** Node loads an ES module through require() without a flag from 20.19 and 22.12. */
function requiresEsm(version) {
  const [major, minor] = version.slice(1).split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
}

/** A CommonJS consumer: require() resolves through exports to the ES module where Node allows it. */
function checkRequire(node, dir) {
  const result = spawnSync(node, ['--input-type=commonjs', '-e', "const sdk = require('@parley/client'); if (typeof sdk.createParleyClient !== 'function') process.exit(3);"], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) fail(`require('@parley/client') failed under Node ${versionOf(node)} (exit ${result.status}):\n${result.stderr}`);
  console.log("  require('@parley/client') from CommonJS works");
}

/** Node strips TypeScript types without a flag from 23.6 (22.18 on the 22 line). */
function stripsTypes(version) {
  const [major, minor] = version.slice(1).split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

async function main() {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'parley-sdk-check-'));
  const npm = which('npm', cleanPath()) ?? fail('no npm on PATH outside node_modules');
  const machineNode = which('node', cleanPath()) ?? fail('no node on PATH outside node_modules');
  const projectNode = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(projectNode)) fail(`${projectNode} is missing: run npm ci (the \`node\` devDependency provides Node 24)`);
  const runtimes = [machineNode, projectNode].map((node) => ({ node, version: versionOf(node) })).filter((runtime, index, all) => all.findIndex((other) => other.version === runtime.version) === index);
  console.log(`Node runtimes: ${runtimes.map(({ node, version }) => `${version} (${node})`).join(', ')}`);

  // Started while the tarball builds; stopped however the check ends.
  const serverStarting = startServer(projectNode, work);
  serverStarting.catch(() => {});
  try {
    const tarball = pack(npm, work);
    const server = await serverStarting;
    console.log(`server at ${server.url}`);
    for (const [index, { node, version }] of runtimes.entries()) {
      console.log(`=== Node ${version}`);
      const dir = consumerProject(work, `node${version.split('.')[0].slice(1)}`, tarball, pathWithNode(node, work));
      console.log(`  installed the tarball, graphql and ws with npm on Node ${version}`);
      if (index === 0) checkTypes(dir);
      if (requiresEsm(version)) checkRequire(node, dir);
      await checkExamples(node, dir, server.url, stripsTypes(version) ? ['chat.mjs', 'chat.ts'] : ['chat.mjs']);
    }
    console.log(`@parley/client package check passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await (await serverStarting.catch(() => null))?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`\nsdk:check FAILED: ${error instanceof CheckFailed ? error.message : (error?.stack ?? error)}`);
  process.exit(1);
});
