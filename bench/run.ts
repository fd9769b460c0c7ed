/**
 * `npm run bench [-- --quick] [-- --only send,history] [-- --out DIR] [-- --profile]`
 * `npm run bench -- --report bench/results/<date>.json` re-renders BENCHMARKS.md from a result file.
 *
 * Runs every module in bench/scenarios/ (each exports `const scenario: Scenario`) on the
 * PostgreSQL server named by BENCH_DATABASE_URL or DATABASE_URL (each scenario creates and drops
 * its own scratch database), writes bench/results/<date>.json and regenerates BENCHMARKS.md with
 * latency-versus-load charts. Quick runs write `<date>-quick.json` and BENCHMARKS-quick.md under
 * bench/results/ (ignored by git) so they never replace the committed full run.
 */
import 'reflect-metadata';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeMachine } from './lib/machine.js';
import { charts, type RunRecord, renderMarkdown } from './lib/report.js';
import type { BenchOptions, BenchResult, Scenario } from './scenario.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));
/** The issue's numbering; scenarios added later run after these, alphabetically. */
const ORDER = ['send', 'fanout', 'history', 'stats', 'idle-connections', 'embedded', 'upload', 'search'];
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

interface Args {
  quick: boolean;
  only: string[] | null;
  out: string | null;
  profile: boolean;
  report: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: null, out: null, profile: false, report: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!next) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') args.quick = true;
    else if (arg === '--profile') args.profile = true;
    else if (arg.startsWith('--only'))
      args.only = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (arg.startsWith('--out')) args.out = value();
    else if (arg.startsWith('--report')) args.report = value();
    else throw new Error(`unknown argument ${arg} (use --quick, --only a,b, --out DIR, --profile, --report FILE)`);
  }
  return args;
}

/** Every compiled module in bench/scenarios/, in the issue's order. */
async function discoverScenarios(): Promise<Scenario[]> {
  const files = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.js'));
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(SCENARIO_DIR, file)).href)) as { scenario?: Scenario };
    if (!module.scenario || typeof module.scenario.run !== 'function') throw new Error(`bench/scenarios/${file} does not export \`const scenario: Scenario\``);
    scenarios.push(module.scenario);
  }
  const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  return scenarios.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

function postgresUrl(): string {
  for (const candidate of [process.env.BENCH_DATABASE_URL, process.env.DATABASE_URL]) {
    if (candidate && /^postgres(ql)?:\/\//.test(candidate)) return candidate;
  }
  return DEFAULT_POSTGRES;
}

function notes(): string | null {
  const file = join(ROOT, 'bench', 'NOTES.md');
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

/** Writes the markdown and its charts; the full run's go to the repository root, quick or --out runs elsewhere. */
function publish(run: RunRecord, markdownFile: string, chartDir: string, command: string, mergedFrom?: string): void {
  mkdirSync(chartDir, { recursive: true });
  mkdirSync(dirname(markdownFile), { recursive: true });
  for (const [file, svg] of charts(run.results)) writeFileSync(join(chartDir, file), svg);
  const markdown = renderMarkdown(run, {
    chartPath: (file) => relative(dirname(markdownFile), join(chartDir, file)).split('\\').join('/'),
    notes: notes(),
    command,
    mergedFrom,
  });
  writeFileSync(markdownFile, markdown);
}

function destinations(args: Args, quick: boolean): { dir: string; markdown: string; charts: string } {
  if (args.out) return { dir: args.out, markdown: join(args.out, 'BENCHMARKS.md'), charts: args.out };
  const results = join(ROOT, 'bench', 'results');
  if (quick) return { dir: results, markdown: join(results, 'BENCHMARKS-quick.md'), charts: join(results, 'charts-quick') };
  return { dir: results, markdown: join(ROOT, 'BENCHMARKS.md'), charts: join(ROOT, 'bench', 'charts') };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.report) {
    // Several files (comma-separated) merge into one report: a later file's scenarios replace an
    // earlier one's, and the report names every run a scenario came from.
    const files = args.report
      .split(',')
      .map((file) => file.trim())
      .filter(Boolean);
    const runs = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as RunRecord);
    const run = runs.reduce((merged, next) => ({
      ...merged,
      date: next.date > merged.date ? next.date : merged.date,
      scenarios: [...merged.scenarios.filter((name) => !next.scenarios.includes(name)), ...next.scenarios],
      results: [...merged.results.filter((result) => !next.scenarios.includes(result.scenario)), ...next.results],
      failures: [...merged.failures.filter((failure) => !next.scenarios.includes(failure.scenario)), ...next.failures],
      durationSeconds: { ...merged.durationSeconds, ...next.durationSeconds },
    }));
    const where = destinations(args, run.quick);
    const mergedFrom = runs.length === 1 ? undefined : runs.map((one) => `${one.scenarios.join(', ')} on ${one.date}`).join('; ');
    publish(run, where.markdown, where.charts, run.quick ? 'npm run bench -- --quick' : 'npm run bench', mergedFrom);
    console.log(`re-rendered ${where.markdown}`);
    return 0;
  }

  const all = await discoverScenarios();
  const unknown = (args.only ?? []).filter((name) => !all.some((s) => s.name === name));
  if (unknown.length) throw new Error(`no such scenario: ${unknown.join(', ')} (have ${all.map((s) => s.name).join(', ')})`);
  const selected = args.only ? all.filter((s) => args.only!.includes(s.name)) : all;
  const url = postgresUrl();
  const profileDir = args.profile ? join(ROOT, 'bench', 'profiles') : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const options: BenchOptions = {
    quick: args.quick,
    postgresUrl: url,
    redisUrl: process.env.BENCH_REDIS_URL || process.env.REDIS_URL || null,
    profileDir,
    log: (line) => console.log(line),
  };

  const started = new Date();
  const run: RunRecord = {
    date: started.toISOString(),
    quick: args.quick,
    machine: await describeMachine(url),
    scenarios: selected.map((s) => s.name),
    results: [],
    failures: [],
    durationSeconds: {},
  };
  console.log(`bench${args.quick ? ' (quick)' : ''}: ${selected.map((s) => s.name).join(', ')} on ${new URL(url).host}`);
  for (const scenario of selected) {
    const t0 = Date.now();
    console.log(`▶ ${scenario.name}`);
    try {
      const result = await scenario.run(options);
      run.results.push(...((Array.isArray(result) ? result : [result]) as BenchResult[]));
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`✗ ${scenario.name}: ${message}`);
      run.failures.push({ scenario: scenario.name, error: error instanceof Error ? error.message : String(error) });
    }
    run.durationSeconds[scenario.name] = (Date.now() - t0) / 1000;
    console.log(`  ${scenario.name} took ${run.durationSeconds[scenario.name]!.toFixed(1)} s`);
  }

  const where = destinations(args, args.quick);
  mkdirSync(where.dir, { recursive: true });
  const stamp = started
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const jsonFile = join(where.dir, `${stamp}${args.quick ? '-quick' : ''}.json`);
  writeFileSync(jsonFile, `${JSON.stringify(run, null, 2)}\n`);
  const partial = Boolean(args.only);
  // A partial full run (--only) must not replace the committed document of a complete one.
  const markdown = partial && !args.out && !args.quick ? join(ROOT, 'bench', 'results', `BENCHMARKS-${stamp}.md`) : where.markdown;
  publish(run, markdown, where.charts, `npm run bench${args.quick ? ' -- --quick' : ''}${partial ? ` --only ${args.only!.join(',')}` : ''}`);
  console.log(`results: ${relative(process.cwd(), jsonFile)}; report: ${relative(process.cwd(), markdown)}`);
  return run.failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
