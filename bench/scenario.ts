/**
 * The contract between `npm run bench` (bench/run.ts) and each scenario module under
 * bench/scenarios/. Every scenario measures its own floor in the same run, because these
 * machines are noisy and only ratios compare.
 */

export interface BenchOptions {
  /** `--quick`: smaller sizes and shorter runs, so the whole suite finishes in minutes. */
  quick: boolean;
  /** PostgreSQL server URL to create scratch databases on (scenarios create and drop their own). */
  postgresUrl: string;
  /** Redis URL, when the scenario wants multi-node pub/sub; null for in-process. */
  redisUrl: string | null;
  /** `--profile`: where servers a scenario starts write their `--cpu-prof` profiles; null when not profiling. */
  profileDir?: string | null;
  /** Print progress lines. */
  log(line: string): void;
}

/** One measured configuration, e.g. "32 senders" or "1,000 subscribers". */
export interface BenchRow {
  label: string;
  /** Parley's numbers: keys like `p50_ms`, `p99_ms`, `per_s`, `rss_kb_per_conn`. */
  parley: Record<string, number>;
  /** The floor's numbers under the same keys, measured in the same run. */
  floor: Record<string, number>;
  /**
   * Parley relative to the floor on the scenario's headline metric, oriented so that 1.0 is
   * "as good as the floor" (throughput: parley/floor; latency: floor/parley).
   */
  ratio: number;
  /**
   * The HTTP floor's numbers under the same keys (bench/lib/http-floor.ts: node:http + the same
   * SQL and the same JSON), when the scenario measures one.
   */
  httpFloor?: Record<string, number>;
  /** Parley relative to the HTTP floor, oriented like `ratio`. */
  httpRatio?: number;
  /** The target the issue sets for this row, in words, and whether it was met. */
  target?: { text: string; met: boolean };
}

export interface BenchResult {
  scenario: string;
  description: string;
  /** What the floor is, in words ("raw pg INSERT at the same concurrency"). */
  floor: string;
  /** What the HTTP floor is, in words, when the scenario measures one. */
  httpFloor?: string;
  /** Which database the scenario ran on. */
  database: 'postgresql' | 'pglite';
  rows: BenchRow[];
}

export interface Scenario {
  name: string;
  run(options: BenchOptions): Promise<BenchResult | BenchResult[]>;
}
