/** Latency samples and closed-loop load: the measuring primitives every scenario shares. */

/** The q-quantile (0..1) of already sorted samples, nearest-rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export interface LatencySummary {
  count: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
}

export function summarize(samplesMs: number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / (sorted.length || 1);
  return { count: sorted.length, p50_ms: round(quantile(sorted, 0.5)), p99_ms: round(quantile(sorted, 0.99)), mean_ms: round(mean) };
}

/** Three significant decimals are plenty for milliseconds and rates. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Times `times` sequential calls of `op` after `warmup` untimed ones. */
export async function sequential(times: number, op: (i: number) => Promise<unknown>, warmup = Math.min(10, times)): Promise<LatencySummary> {
  for (let i = 0; i < warmup; i++) await op(i);
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = nowMs();
    await op(i);
    samples.push(nowMs() - started);
  }
  return summarize(samples);
}

export interface LoadSummary extends LatencySummary {
  clients: number;
  per_s: number;
  errors: number;
}

/**
 * Closed-loop load: `clients` workers each call `op(worker, i)` back to back for `seconds`.
 * Throughput counts completed calls over the measured window; a failing call is counted and
 * the run aborts if more than 1% fail, since numbers from a broken run mean nothing.
 */
export async function closedLoop(clients: number, seconds: number, op: (worker: number, i: number) => Promise<unknown>): Promise<LoadSummary> {
  const samples: number[] = [];
  let errors = 0;
  let firstError: unknown = null;
  const started = nowMs();
  const deadline = started + seconds * 1000;
  const worker = async (w: number) => {
    for (let i = 0; nowMs() < deadline; i++) {
      const t0 = nowMs();
      try {
        await op(w, i);
        samples.push(nowMs() - t0);
      } catch (error) {
        errors += 1;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, w) => worker(w)));
  const elapsed = (nowMs() - started) / 1000;
  if (errors > Math.max(1, samples.length * 0.01)) {
    throw new Error(`${errors} of ${errors + samples.length} calls failed; first: ${String((firstError as Error)?.message ?? firstError)}`);
  }
  return { clients, per_s: round(samples.length / elapsed, 1), errors, ...summarize(samples) };
}

/**
 * Times `times` rounds of calls to every op, one after another within a round, so slow moments
 * of a shared machine fall on all of them alike (comparisons between the ops stay fair).
 */
export async function interleaved(times: number, ops: readonly (() => Promise<unknown>)[], warmup = Math.min(10, times)): Promise<LatencySummary[]> {
  for (let i = 0; i < warmup; i++) for (const op of ops) await op();
  const samples = ops.map(() => [] as number[]);
  for (let i = 0; i < times; i++) {
    for (const [k, op] of ops.entries()) {
      const started = nowMs();
      await op();
      samples[k]!.push(nowMs() - started);
    }
  }
  return samples.map(summarize);
}
