// Proves the Docker image builds and starts, without a container engine: reads the Dockerfile
// and .dockerignore, gives each stage an empty folder for its WORKDIR, copies into it exactly
// what its COPY lines name (from the build context as .dockerignore leaves it, or from an earlier
// stage), runs the build stage's RUN steps there, then starts the final stage's CMD and waits for
// GET /readyz and a clean exit on SIGTERM. It also fails when .dockerignore lets local data,
// secrets, installed dependencies or build output into the context.
// The final stage's RUN steps prepare system paths (/data) and are not run here.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanPath } from './clean-path.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Paths the context must never carry (each stands for what sits beside it). */
const NEVER_IN_CONTEXT = ['data/jwt-secret', 'data/admin.credential', '.env', '.env.production', 'node_modules/express/package.json', 'client/node_modules/x', 'dist/src/main.js', '.git/HEAD', 'test-artifacts/x.png'];
const READY_TIMEOUT_MS = 60_000;

function fail(message) {
  throw new Error(message);
}

/** Dockerfile instructions, continuation lines joined, comments dropped, grouped by stage. */
function dockerfileStages(text) {
  const stages = [];
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const line of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const [, keyword, rest] = /^(\S+)\s*(.*)$/.exec(line);
    const instruction = { keyword: keyword.toUpperCase(), args: rest };
    if (instruction.keyword === 'FROM') stages.push({ name: /\sAS\s+(\S+)/i.exec(rest)?.[1] ?? String(stages.length), instructions: [] });
    else stages.at(-1).instructions.push(instruction);
  }
  return stages;
}

/** .dockerignore as Docker reads it: later lines win, `!` re-includes, a match on a folder covers what is inside. */
function dockerignore(text) {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize((negate ? l.slice(1) : l).trim().replace(/^\/+/, '')).replace(/\/+$/, '');
      return { negate, pattern, regex: globRegex(pattern) };
    });
  const ignored = (path) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let result = false;
    for (const rule of rules) if (prefixes.some((p) => rule.regex.test(p))) result = !rule.negate;
    return result;
  };
  return { rules, ignored };
}

function globRegex(pattern) {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        out += '(?:.*/)?';
      } else out += '.*';
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if ('[]'.includes(c)) fail(`.dockerignore: character classes are not supported by this check ("${pattern}")`);
    else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Every file of the build context (relative, `/`-separated), walking only into folders not ignored. */
function contextFiles(ignore) {
  const files = [];
  const reincludes = ignore.rules.some((rule) => rule.negate);
  const walk = (relative) => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!ignore.ignored(path) || reincludes) walk(path);
      } else if (!ignore.ignored(path)) files.push(path);
    }
  };
  walk('');
  return files;
}

/** `COPY [--from=stage] [--chown=…] src… dest` (the shell form; the JSON form is refused). */
function parseCopy(args) {
  if (args.startsWith('[')) fail(`COPY ${args}: the JSON form is not supported by this check`);
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length) ?? null;
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1) };
}

/** Where `dest` (relative to WORKDIR /app, or absolute inside the image) lands in a stage folder. */
function inStage(stageDir, dest) {
  const path = posix.isAbsolute(dest) ? posix.relative('/app', dest) : dest;
  if (path.startsWith('..')) fail(`COPY to ${dest}: only paths under WORKDIR /app are supported by this check`);
  return join(stageDir, path);
}

function copyFromContext(files, sources, dest, stageDir) {
  for (const source of sources) {
    const clean = posix.normalize(source).replace(/^\.\/|\/$/g, '');
    if (/[*?[]/.test(clean)) fail(`COPY ${source}: wildcards are not supported by this check`);
    const matched = files.filter((f) => f === clean || f.startsWith(`${clean}/`));
    if (matched.length === 0) fail(`COPY ${source}: not in the build context (missing, or excluded by .dockerignore)`);
    const isFile = matched.length === 1 && matched[0] === clean;
    const intoFolder = dest.endsWith('/') || sources.length > 1;
    for (const file of matched) {
      const target = isFile ? (intoFolder ? join(inStage(stageDir, dest), posix.basename(file)) : inStage(stageDir, dest)) : join(inStage(stageDir, dest), file.slice(clean.length + 1));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(root, file), target);
    }
  }
}

function copyFromStage(stageDirs, from, sources, dest, stageDir) {
  const fromDir = stageDirs.get(from) ?? fail(`COPY --from=${from}: no earlier stage of that name`);
  for (const source of sources) {
    const path = inStage(fromDir, source);
    if (!existsSync(path)) fail(`COPY --from=${from} ${source}: the stage produced no such path`);
    cpSync(path, inStage(stageDir, dest), { recursive: true, verbatimSymlinks: true });
  }
}

function run(command, cwd, env) {
  console.log(`--- RUN ${command}`);
  const result = spawnSync('sh', ['-c', command], { cwd, env, stdio: 'inherit' });
  if (result.status !== 0) fail(`RUN ${command}: exit ${result.status ?? result.signal}`);
}

/** Starts the final stage's CMD (with this machine's Node for `node`); resolves once /readyz answers 200, then stops it with SIGTERM. */
async function startFinalStage(cmd, cwd, env) {
  const [program, ...args] = JSON.parse(cmd);
  const child = spawn(program === 'node' ? process.execPath : program, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let ready = false;
  while (!ready && Date.now() < deadline && child.exitCode === null) {
    const url = /Parley GraphQL API at (http:\/\/\S+)\/graphql/.exec(output)?.[1];
    if (url) ready = (await fetch(`${url}/readyz`).catch(() => null))?.status === 200;
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (!ready) {
    child.kill('SIGKILL');
    fail(`CMD ${cmd}: GET /readyz did not answer 200 within ${READY_TIMEOUT_MS} ms\n${output}`);
  }
  console.log('--- CMD started; GET /readyz answered 200');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const end = await exited;
  clearTimeout(timer);
  if (end.code !== 0) fail(`CMD ${cmd}: after SIGTERM it ended with ${end.signal ?? `exit ${end.code}`}\n${output}`);
  console.log('--- CMD exited 0 on SIGTERM');
}

async function main() {
  const ignore = dockerignore(existsSync(join(root, '.dockerignore')) ? readFileSync(join(root, '.dockerignore'), 'utf8') : '');
  const leaking = NEVER_IN_CONTEXT.filter((path) => !ignore.ignored(path));
  if (leaking.length > 0) fail(`.dockerignore lets these into the build context: ${leaking.join(', ')}`);
  const files = contextFiles(ignore);
  const bytes = files.reduce((sum, f) => sum + statSync(join(root, f)).size, 0);
  console.log(`build context: ${files.length} files, ${(bytes / 1024 / 1024).toFixed(1)} MB`);

  const stages = dockerfileStages(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  const work = mkdtempSync(join(tmpdir(), 'parley-image-'));
  const stageDirs = new Map();
  try {
    for (const [index, stage] of stages.entries()) {
      const last = index === stages.length - 1;
      const dir = join(work, `stage-${index}`);
      mkdirSync(dir);
      stageDirs.set(stage.name, dir);
      console.log(`=== stage ${stage.name}${last ? ' (the image)' : ''}`);
      const env = { PATH: cleanPath(), HOME: process.env.HOME ?? tmpdir() };
      let cmd = null;
      for (const { keyword, args } of stage.instructions) {
        if (keyword === 'WORKDIR' && args !== '/app') fail(`WORKDIR ${args}: this check supports WORKDIR /app only`);
        if (keyword === 'ENV') for (const [, name, value] of args.matchAll(/(\w+)=(\S+)/g)) env[name] = value;
        if (keyword === 'COPY') {
          const copy = parseCopy(args);
          console.log(`--- COPY ${args}`);
          if (copy.from) copyFromStage(stageDirs, copy.from, copy.sources, copy.dest, dir);
          else copyFromContext(files, copy.sources, copy.dest, dir);
        }
        if (keyword === 'RUN' && !last) run(args, dir, env);
        if (keyword === 'CMD') cmd = args;
      }
      if (last) {
        if (!cmd) fail('the final stage has no CMD');
        const dataDir = join(work, 'data');
        mkdirSync(dataDir);
        await startFinalStage(cmd, dir, { ...env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: 'memory://', JWT_SECRET: 'docker-context-check-secret-0123456789', SECRETS_KEY: 'docker-context-check-secrets-key-0123456789', LOG_LEVEL: 'warn' });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log('check-docker-context: the image builds from its context and starts');
}

main().catch((error) => {
  console.error(`check-docker-context: ${error.message}`);
  process.exit(1);
});
