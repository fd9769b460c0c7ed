import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipReason } from './helpers/cluster.js';
import { usingPostgres } from './helpers/database.js';

/** bench/run.ts's result file, as far as this test reads it. */
interface RunRecord {
  quick: boolean;
  scenarios: string[];
  failures: { scenario: string; error: string }[];
  results: {
    scenario: string;
    floor: string;
    rows: { label: string; parley: Record<string, number>; floor: Record<string, number>; ratio: number }[];
  }[];
}

/** Every scenario module in bench/scenarios/. */
const scenarioFiles = (): string[] => readdirSync(join(process.cwd(), 'bench', 'scenarios')).filter((file) => file.endsWith('.ts'));

/** Longest the quick bench may run: past it the bench and the servers it started are killed, and the test fails showing where it stood. */
const BENCH_DEADLINE_MS = 390_000;

function runQuickBench(out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    // The bench spawns its own servers; jest's VM-modules flag is not for them.
    delete env.NODE_OPTIONS;
    // Compiled by `pretest` already: recompiling here would rewrite dist/ under the other test
    // files' feet (several start `node dist/src/main.js`).
    // Its own process group, so a deadline takes the servers it spawned down with it.
    const child = spawn(process.execPath, ['--enable-source-maps', 'dist/bench/run.js', '--quick', '--out', out], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const deadline = setTimeout(() => {
      output += `\n(the quick bench was still running after ${BENCH_DEADLINE_MS} ms: killed)`;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }, BENCH_DEADLINE_MS);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, output });
    });
  });
}

// The bench needs a PostgreSQL server; the PostgreSQL run of the suite covers it.
skipReason(usingPostgres(), 'npm run bench needs a PostgreSQL server (DATABASE_URL)');
(usingPostgres() ? describe : describe.skip)('npm run bench -- --quick', () => {
  it('runs every scenario in bench/scenarios and records each with its floor and ratio', async () => {
    const out = mkdtempSync(join(tmpdir(), 'parley-bench-'));
    try {
      const { code, output } = await runQuickBench(out);
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
      const [file] = readdirSync(out).filter((f) => f.endsWith('-quick.json'));
      expect(file).toBeDefined();
      const run = JSON.parse(readFileSync(join(out, file!), 'utf8')) as RunRecord;
      expect(run.quick).toBe(true);
      expect(run.failures).toEqual([]);

      // One scenario per module, each with at least one result under its name.
      expect(run.scenarios).toHaveLength(scenarioFiles().length);
      expect(new Set(run.scenarios).size).toBe(run.scenarios.length);
      const reported = new Set(run.results.map((r) => r.scenario));
      expect(run.scenarios.filter((name) => !reported.has(name))).toEqual([]);
      for (const result of run.results) {
        expect(result.floor.length).toBeGreaterThan(0);
        expect(result.rows.length).toBeGreaterThan(0);
        for (const row of result.rows) {
          expect(Object.keys(row.floor).length).toBeGreaterThan(0);
          expect(Object.values(row.floor).every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
          expect(Object.values(row.parley).every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
          expect(Number.isFinite(row.ratio) && row.ratio > 0).toBe(true);
        }
      }
      const markdown = readFileSync(join(out, 'BENCHMARKS.md'), 'utf8');
      for (const name of run.scenarios) expect(markdown).toContain(`## ${name} (`);
      expect(readFileSync(join(out, 'latency-vs-clients.svg'), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<polyline [\s\S]*<\/svg>\n$/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 420_000);
});
