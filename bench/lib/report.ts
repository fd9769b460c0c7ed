import type { BenchResult, BenchRow } from '../scenario.js';
import type { MachineDescription } from './machine.js';

/** What one run writes to bench/results/<date>.json. */
export interface RunRecord {
  date: string;
  quick: boolean;
  machine: MachineDescription;
  /** Scenario module names found in bench/scenarios and run (after --only). */
  scenarios: string[];
  results: BenchResult[];
  failures: { scenario: string; error: string }[];
  durationSeconds: Record<string, number>;
}

/** Load keys a row can carry in `parley`; rows with one of them and latencies are charted. */
const LOAD_KEYS = ['clients', 'subscribers', 'connections'] as const;

const fmt = (value: number): string => {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
};

/** `per_s` → "512/s", `p99_ms` → "p99 5.3 ms", others → "key 1.2". */
export function formatMetrics(metrics: Record<string, number>, skip: readonly string[] = ['count', ...LOAD_KEYS]): string {
  return Object.entries(metrics)
    .filter(([key]) => !skip.includes(key))
    .map(([key, value]) => {
      if (key === 'per_s') return `${fmt(value)}/s`;
      if (key.endsWith('_ms')) return `${key.slice(0, -3).replace(/_/g, ' ')} ${fmt(value)} ms`;
      if (key.endsWith('_kb')) return `${key.slice(0, -3).replace(/_/g, ' ')} ${fmt(value)} KB`;
      return `${key.replace(/_/g, ' ')} ${fmt(value)}`;
    })
    .join(' · ');
}

function loadKey(result: BenchResult): (typeof LOAD_KEYS)[number] | null {
  for (const key of LOAD_KEYS) {
    if (result.rows.length > 1 && result.rows.every((row) => typeof row.parley[key] === 'number' && typeof row.parley.p99_ms === 'number')) return key;
  }
  return null;
}

interface Series {
  name: string;
  color: string;
  dashed: boolean;
  /** Dotted instead of dashed (the HTTP floor beside the raw floor). */
  dotted?: boolean;
  points: { x: number; y: number }[];
}

const dash = (s: Series): string => (s.dotted ? ' stroke-dasharray="2 3"' : s.dashed ? ' stroke-dasharray="6 4"' : '');

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One panel: log-scale load on x, log-scale latency on y (decades), a polyline per series. */
function panel(title: string, series: Series[], xLabel: string, left: number, width: number, height: number): string {
  const pad = { l: 56, r: 12, t: 28, b: 40 };
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => y > 0);
  const lo = Math.floor(Math.log10(Math.min(...ys, 1)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...ys, 1))));
  const lx = (x: number) => Math.log10(Math.max(1, x));
  const [x0, x1] = [lx(xs[0] ?? 1), lx(xs[xs.length - 1] ?? 10)];
  const px = (x: number) => left + pad.l + ((lx(x) - x0) / (x1 - x0 || 1)) * (width - pad.l - pad.r);
  const py = (y: number) => pad.t + (1 - (Math.log10(Math.max(y, 10 ** lo)) - lo) / (hi - lo)) * (height - pad.t - pad.b);
  const bottom = py(10 ** lo);
  const out: string[] = [];
  out.push(`<text x="${left + width / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  for (let d = lo; d <= hi; d++) {
    const y = 10 ** d;
    out.push(`<line x1="${left + pad.l}" y1="${py(y)}" x2="${left + width - pad.r}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${left + pad.l - 6}" y="${py(y) + 4}" text-anchor="end">${y >= 1 ? y.toLocaleString('en-US') : y.toFixed(-d)}</text>`);
  }
  out.push(`<line x1="${left + pad.l}" y1="${bottom}" x2="${left + width - pad.r}" y2="${bottom}" stroke="#333"/>`);
  out.push(`<line x1="${left + pad.l}" y1="${pad.t}" x2="${left + pad.l}" y2="${bottom}" stroke="#333"/>`);
  for (const x of xs) out.push(`<text x="${px(x)}" y="${bottom + 16}" text-anchor="middle">${x}</text>`);
  out.push(`<text x="${left + width / 2}" y="${height - 6}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text x="${left + 14}" y="${(pad.t + bottom) / 2}" text-anchor="middle" transform="rotate(-90 ${left + 14} ${(pad.t + bottom) / 2})">ms (log scale)</text>`);
  for (const s of series) {
    const points = s.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash(s)} points="${points}"/>`);
    for (const p of s.points) out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
  }
  return out.join('\n');
}

/** A two-panel (p50, p99) latency-versus-load chart for results that share a load key; null if none do. */
export function latencyChart(results: BenchResult[], key: string): string | null {
  const charted = results.filter((r) => loadKey(r) === key);
  if (charted.length === 0) return null;
  const seriesFor = (metric: 'p50_ms' | 'p99_ms'): Series[] =>
    charted.flatMap((result, i) => {
      const color = COLORS[i % COLORS.length]!;
      const at = (side: 'parley' | 'floor') => result.rows.filter((row) => typeof row[side][metric] === 'number').map((row: BenchRow) => ({ x: row.parley[key]!, y: row[side][metric]! }));
      const http = result.rows.filter((row) => typeof row.httpFloor?.[metric] === 'number').map((row: BenchRow) => ({ x: row.parley[key]!, y: row.httpFloor![metric]! }));
      return [
        { name: `Parley (${result.scenario}, ${result.database})`, color, dashed: false, points: at('parley') },
        { name: `floor (${result.scenario}, ${result.database})`, color, dashed: true, points: at('floor') },
        ...(http.length ? [{ name: `HTTP floor (${result.scenario}, ${result.database})`, color, dashed: true, dotted: true, points: http }] : []),
      ];
    });
  const width = 820;
  const panelWidth = width / 2;
  const height = 300;
  const legendRows = seriesFor('p99_ms');
  const legendHeight = 18 * legendRows.length + 10;
  const legend = legendRows
    .map((s, i) => {
      const y = height + 14 + i * 18;
      return `<line x1="60" y1="${y - 4}" x2="90" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${dash(s)}/><text x="98" y="${y}">${esc(s.name)}</text>`;
    })
    .join('\n');
  const xLabel = `concurrent ${key} (log scale)`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + legendHeight}" viewBox="0 0 ${width} ${height + legendHeight}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    panel('p50 latency vs load', seriesFor('p50_ms'), xLabel, 0, panelWidth, height),
    panel('p99 latency vs load', seriesFor('p99_ms'), xLabel, panelWidth, panelWidth, height),
    legend,
    '</svg>',
    '',
  ].join('\n');
}

/** Every chart the results allow, keyed by file name. */
export function charts(results: BenchResult[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const key of LOAD_KEYS) {
    const svg = latencyChart(results, key);
    if (svg) files.set(`latency-vs-${key}.svg`, svg);
  }
  return files;
}

function rowTable(result: BenchResult, extra?: { header: string; cell(row: BenchRow): string }): string {
  // The HTTP floor's columns appear beside the raw floor's when any row measured it.
  const http = result.rows.some((row) => row.httpFloor);
  const header = ['Load', 'Parley', 'Floor', 'Ratio', ...(http ? ['HTTP floor', 'Ratio vs HTTP floor'] : []), ...(extra ? [extra.header] : []), 'Target', 'Met'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of result.rows) {
    lines.push(
      `| ${[
        row.label,
        formatMetrics(row.parley),
        formatMetrics(row.floor),
        fmt(row.ratio),
        ...(http ? [row.httpFloor ? formatMetrics(row.httpFloor) : '—', row.httpRatio !== undefined ? fmt(row.httpRatio) : '—'] : []),
        ...(extra ? [extra.cell(row)] : []),
        row.target?.text ?? '—',
        row.target ? (row.target.met ? 'yes' : '**no**') : '—',
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export interface RenderOptions {
  /** Paths (relative to the markdown file) of the chart files, by chart file name. */
  chartPath(file: string): string;
  /** Hand-written notes (profiling before/after) included verbatim. */
  notes: string | null;
  command: string;
  /** For a report merged from several runs: which scenarios came from which run. */
  mergedFrom?: string;
}

/** BENCHMARKS.md: the machine, the targets at a glance, then a section per scenario. */
export function renderMarkdown(run: RunRecord, options: RenderOptions): string {
  const m = run.machine;
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push(
    `Generated by \`${options.command}\` on ${run.date}${options.mergedFrom ? ` (merged from separate runs: ${options.mergedFrom})` : ''}${run.quick ? ' (**quick mode**: small sizes, short runs; not the committed numbers)' : ''}. Do not edit by hand: the run rewrites this file; notes live in \`bench/NOTES.md\`.`,
    '',
  );
  out.push(
    'Every scenario measures its floor in the same run, because these machines are noisy (other work runs beside the benchmark) and only ratios compare across runs. Ratio is oriented so that 1.0 means "as good as the floor": throughput Parley/floor, latency floor/Parley. Where a table has an **HTTP floor** column, it is a bare `node:http` server in a child process over the same database doing the same SQL and writing the same JSON (bench/lib/http-floor.ts): what any Node server must spend; the issue\'s targets for send and pages are against it.',
    '',
  );
  out.push('## Machine', '');
  out.push('| | |', '|---|---|');
  out.push(`| CPU | ${m.cpuModel} |`, `| Cores | ${m.cores} |`, `| Memory | ${m.memoryGiB} GiB |`, `| OS | ${m.os} |`, `| Node.js | ${m.node} |`, `| PostgreSQL | ${m.postgres} |`);
  out.push('', 'Client, Parley and PostgreSQL share these cores, so absolute numbers are low and a load generator competes with what it measures; the floor pays the same tax.', '');

  const targeted = run.results.flatMap((r) => r.rows.filter((row) => row.target).map((row) => ({ r, row })));
  if (targeted.length) {
    out.push('## Targets at a glance', '', '| Scenario | Load | Target | Parley | Met |', '|---|---|---|---|---|');
    for (const { r, row } of targeted)
      out.push(
        `| ${r.scenario} (${r.database}) | ${row.label} | ${row.target!.text} | ${formatMetrics(row.parley)} (ratio ${fmt(row.ratio)}${row.httpRatio !== undefined ? `; vs HTTP floor ${fmt(row.httpRatio)}` : ''}) | ${row.target!.met ? 'yes' : '**no**'} |`,
      );
    out.push('');
  }
  if (run.failures.length) {
    out.push('## Failed scenarios', '');
    for (const f of run.failures) out.push(`- **${f.scenario}**: ${f.error}`);
    out.push('');
  }

  const chartFiles = charts(run.results);
  const chartedBy = new Map<string, string>();
  for (const key of LOAD_KEYS) {
    const file = `latency-vs-${key}.svg`;
    if (!chartFiles.has(file)) continue;
    // Shown once, under the first scenario of the group (send and embedded share the clients chart).
    const first = run.results.find((r) => loadKey(r) === key);
    if (first) chartedBy.set(first.scenario, file);
  }

  const send = run.results.find((r) => r.scenario === 'send');
  for (const result of run.results) {
    out.push(`## ${result.scenario} (${result.database})`, '');
    out.push(result.description, '');
    out.push(`**Floor:** ${result.floor}`, '');
    if (result.httpFloor) out.push(`**HTTP floor:** ${result.httpFloor}`, '');
    if (run.durationSeconds[result.scenario] !== undefined) out.push(`Took ${Math.round(run.durationSeconds[result.scenario]!)} s.`, '');
    const beside =
      result.database === 'pglite' && send
        ? {
            header: 'Parley on PostgreSQL (send)',
            cell: (row: BenchRow) => {
              const twin = send.rows.find((s) => s.label === row.label);
              return twin ? formatMetrics(twin.parley) : '—';
            },
          }
        : undefined;
    out.push(rowTable(result, beside), '');
    const file = chartedBy.get(result.scenario);
    if (file) out.push(`![${result.scenario}: latency versus load](${options.chartPath(file)})`, '');
  }
  if (options.notes) out.push(options.notes.trim(), '');
  return out.join('\n');
}
