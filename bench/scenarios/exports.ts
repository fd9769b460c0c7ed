import { request } from 'node:http';
import { to as copyTo } from 'pg-copy-streams';
import { withBenchServer } from '../lib/bench-server.js';
import { nowMs, round } from '../lib/measure.js';
import type { BenchActor } from '../lib/parley.js';
import { peakRssDuring, rssKb } from '../lib/rss.js';
import { copyMessages, sessionSenders } from '../lib/seed.js';
import type { BenchResult, BenchRow, Scenario } from '../scenario.js';

const SESSIONS = 20;
const TARGET_GROWTH_KB = 64 * 1024;
const MB = 1024 * 1024;
const EXPORT = 'mutation($kind: ReportKind!, $from: DateTimeISO!, $to: DateTimeISO!) { exportReport(kind: $kind, from: $from, to: $to) { url } }';

/** The same rows and columns as PostgreSQL's own CSV writer produces them (the floor). */
const FLOOR = (tenantId: string, from: string, to: string) => `copy (
  select m.id, m.uuid, m.session_id, m.created_at, m.edited_at, m.deleted_at, m.sender_type, p.user_id, coalesce(u.display_name, p.guest_name, 'System'),
         m.private, m.automatic, (select count(*) from attachments f where f.tenant_id = m.tenant_id and f.message_id = m.id), m.content
    from chat_messages m
    join chat_sessions s on s.tenant_id = m.tenant_id and s.id = m.session_id
    left join participants p on p.tenant_id = m.tenant_id and p.id = m.sender_id
    left join users u on u.tenant_id = m.tenant_id and u.id = p.user_id
   where m.tenant_id = ${tenantId} and s.kind = 'SUPPORT' and m.created_at >= '${from}' and m.created_at < '${to}'
   order by m.created_at, m.id) to stdout with (format csv, header true)`;

const fmtCount = (n: number) => n.toLocaleString('en-US');

/** Message i: a sentence of ~80 characters with a comma and quotes (so cells get quoted), one in ten starting with `=`. */
const contentOf = (i: number) => `${i % 10 === 0 ? '=' : ''}Customer message ${i}, about order "${(i * 7919) % 100_000}" and its delivery window`;

/** GETs `url` and counts the body's bytes and CRLF-terminated lines without keeping it. */
function drain(url: string): Promise<{ bytes: number; lines: number }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`export answered ${res.statusCode}`));
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
      });
      res.on('end', () => resolve({ bytes, lines }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/**
 * The messages report (`exportReport(MESSAGES)` then GET of its link) over one tenant of `size`
 * messages in 20 support sessions (seeded with COPY, then VACUUM ANALYZE), downloaded by a
 * client that reads as fast as it can: throughput, and the server's RSS growth during the
 * export (sampled from /proc every 5 ms) against the issue's 64 MB. The floor is PostgreSQL's
 * own `COPY (the same query) TO STDOUT (FORMAT csv)` over one connection.
 *
 * Run by hand: EXPORTS_SIZES=20000,300000 measures other sizes (full runs only);
 * EXPORTS_NODE_OPTIONS is the server's NODE_OPTIONS (e.g. --max-old-space-size=128, to tell
 * garbage V8 has not collected yet from memory the export holds).
 */
export const scenario: Scenario = {
  name: 'exports',
  async run(options): Promise<BenchResult> {
    const sizes = options.quick ? [100_000] : process.env.EXPORTS_SIZES ? process.env.EXPORTS_SIZES.split(',').map(Number) : [1_000_000];
    const rows: BenchRow[] = [];
    for (const size of sizes) {
      const spawn = {
        profileDir: options.profileDir ?? null,
        ...(process.env.EXPORTS_NODE_OPTIONS ? { env: { NODE_OPTIONS: process.env.EXPORTS_NODE_OPTIONS } } : {}),
        // --expose-gc: baselines are taken after a full collection, so growth is the export's, not garbage from seeding.
        execArgv: ['--expose-gc', ...(process.env.EXPORTS_EXEC_ARGV ? process.env.EXPORTS_EXEC_ARGV.split(' ') : [])],
      };
      await withBenchServer(options.postgresUrl, `exports${size}`, spawn, async ({ server, client, sql, fixtures, admin }) => {
        const [customer, agent] = [await fixtures.user(admin, 'customer', 'USER'), await fixtures.user(admin, 'agent', 'STAFF')] as [BenchActor, BenchActor];
        const perSession = Math.ceil(size / SESSIONS);
        const firstAt = Date.UTC(2025, 0, 1);
        const batches = [];
        for (let s = 0; s < SESSIONS; s++) {
          const id = await fixtures.supportSession(customer, admin, agent);
          const { tenantId, senders } = await sessionSenders(sql, id);
          const offset = s * perSession;
          batches.push({ tenantId, sessionId: id, senders, count: Math.min(perSession, size - offset), firstAt: new Date(firstAt + offset * 1000), content: (i: number) => contentOf(offset + i) });
        }
        const t0 = nowMs();
        await copyMessages(sql, batches);
        options.log(`  seeded ${fmtCount(size)} messages with COPY in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
        await sql.query('vacuum analyze');
        const from = new Date(firstAt).toISOString();
        const to = new Date(firstAt + size * 1000 + 1000).toISOString();

        /** One download of a fresh link: time, peak RSS growth over RSS after a full GC, heap in use (garbage included) and heap retained after a full GC. */
        const measured = async () => {
          const { exportReport } = await client.request<{ exportReport: { url: string } }>(EXPORT, { kind: 'MESSAGES', from, to }, admin.token);
          const heapBefore = (await server.memory(true)).heapUsed;
          const baselineKb = rssKb(server.pid);
          let heapPeak = heapBefore;
          let asking = false;
          const heapSampler = setInterval(() => {
            if (asking) return;
            asking = true;
            server
              .memory(false)
              .then((usage) => (heapPeak = Math.max(heapPeak, usage.heapUsed)))
              .catch(() => undefined)
              .finally(() => (asking = false));
          }, 20);
          const started = nowMs();
          const { result: body, peakKb } = await peakRssDuring(server.pid, () => drain(`${server.url}${exportReport.url}`)).finally(() => clearInterval(heapSampler));
          const seconds = (nowMs() - started) / 1000;
          if (body.lines !== size + 1) throw new Error(`the export has ${body.lines - 1} rows, not ${size}`);
          // The request winds down just after the client saw the end: let it, and collect twice (weak callbacks free more on the second).
          await new Promise((resolve) => setTimeout(resolve, 200));
          await server.memory(true);
          // Growths are reported as at least 0 (rows hold non-negative measures): a heap that ends below its baseline kept nothing.
          const heapRetainedKb = Math.max(0, Math.round(((await server.memory(true)).heapUsed - heapBefore) / 1024));
          return {
            body,
            seconds,
            baselineKb,
            peakKb,
            growthKb: Math.max(0, peakKb - baselineKb),
            heapPeakGrowthKb: Math.max(0, Math.round((heapPeak - heapBefore) / 1024)),
            heapRetainedKb,
          };
        };
        const describe = (run: Awaited<ReturnType<typeof measured>>) =>
          `RSS ${Math.round(run.baselineKb / 1024)} → peak ${Math.round(run.peakKb / 1024)} MB (growth ${round(run.growthKb / 1024, 1)} MB), heap in use peak +${round(run.heapPeakGrowthKb / 1024, 1)} MB, retained after a full GC ${round(run.heapRetainedKb / 1024, 1)} MB`;
        // First export after start (V8 sizes its heap for the work: the number), then the same export again.
        const first = await measured();
        const again = await measured();
        const { body, seconds, growthKb } = first;

        const floorStarted = nowMs();
        let floorBytes = 0;
        const copy = sql.query(copyTo(FLOOR(batches[0]!.tenantId, from, to)));
        for await (const chunk of copy) floorBytes += (chunk as Buffer).length;
        const floorSeconds = (nowMs() - floorStarted) / 1000;

        const perS = round(size / seconds, 0);
        const floorPerS = round(size / floorSeconds, 0);
        const label = `messages report, ${fmtCount(size)} rows`;
        options.log(
          `  ${label}: ${seconds.toFixed(1)} s, ${fmtCount(perS)} rows/s, ${round(body.bytes / MB / seconds, 1)} MB/s, server: first export ${describe(first)}; again (${again.seconds.toFixed(1)} s) ${describe(again)}; floor COPY ${floorSeconds.toFixed(1)} s, ${fmtCount(floorPerS)} rows/s`,
        );
        rows.push({
          label,
          parley: {
            per_s: perS,
            mb_per_s: round(body.bytes / MB / seconds),
            seconds: round(seconds),
            rss_growth_kb: growthKb,
            rss_peak_kb: first.peakKb,
            heap_peak_growth_kb: first.heapPeakGrowthKb,
            heap_retained_kb: first.heapRetainedKb,
            again_rss_growth_kb: again.growthKb,
            again_heap_peak_growth_kb: again.heapPeakGrowthKb,
            again_heap_retained_kb: again.heapRetainedKb,
            bytes: body.bytes,
          },
          floor: { per_s: floorPerS, mb_per_s: round(floorBytes / MB / floorSeconds), seconds: round(floorSeconds), bytes: floorBytes },
          ratio: round(perS / floorPerS),
          target: { text: `server RSS growth < 64 MB over ${fmtCount(size)} messages`, met: growthKb < TARGET_GROWTH_KB },
        });
      });
    }
    return {
      scenario: 'exports',
      description: `The messages report (exportReport(MESSAGES), then a GET of its signed link) over ${sizes.map(fmtCount).join(' and ')} messages of one tenant in 20 support sessions (seeded with COPY, ~80-character texts with commas and quotes, one in ten starting with "="), read by one client as fast as it can. Server RSS is sampled from /proc every 5 ms; growth is the peak during the download minus RSS just before it (taken after a full GC, the server running with --expose-gc); the heap in use is sampled every 20 ms, and what stays after a full GC once the download ended is reported as retained. The export runs twice: the first after start is the target's number, the second (again_*) shows the server once V8 has sized its heap for the work.`,
      floor: "PostgreSQL's own COPY (the same rows, joins and order) TO STDOUT WITH (FORMAT csv, HEADER) over one raw pg connection: no HTTP, no formula escaping, no batching.",
      database: 'postgresql',
      rows,
    };
  },
};
