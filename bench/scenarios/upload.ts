import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BENCH_RATE_LIMIT_MAX } from '../lib/parley.js';
import { peakRssDuring, rssKb } from '../lib/rss.js';
import type { BenchOptions, BenchResult, Scenario } from '../scenario.js';

/**
 * Attachment uploads through GraphQL multipart (and the chat API's REST multipart route) against the real server in a child process
 * (so its memory can be read from /proc): throughput for 10 MB files against writing the same
 * bytes straight to the same disk (fsync'd, as the server's staging file is), and the server's
 * peak RSS while one 200 MB file streams through (it should not grow with the file).
 */

const MB = 1024 * 1024;
const ADMIN_PASSWORD = 'bench-admin-password';
const SERVER_MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** A file the server accepts as PDF: the signature, then incompressible bytes. */
function writePdfLike(path: string, size: number): void {
  const out = Buffer.alloc(size);
  out.write('%PDF-1.4\n', 0, 'latin1');
  randomBytes(size - 9).copy(out, 9);
  writeFileSync(path, out);
}

async function startServer(databaseUrl: string, dataDir: string, log: (line: string) => void, profileDir: string | null | undefined): Promise<{ child: ChildProcess; url: string }> {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, SERVER_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      JWT_SECRET: randomBytes(32).toString('hex'),
      SECRETS_KEY: randomBytes(32).toString('hex'),
      ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: BENCH_RATE_LIMIT_MAX,
      UPLOAD_MAX_FILE_BYTES: String(256 * MB),
      UPLOAD_MAX_REQUEST_BYTES: String(300 * MB),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => log(`server: ${chunk.toString().trim()}`));
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /Parley GraphQL API at (http:\/\/\S+)\/graphql/.exec(seen);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return { child, url };
}

async function graphql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** The same send through the chat API's REST multipart route (content + attachments[0]). */
/** A file to send: where it is and how big. */
interface FileOnDisk {
  path: string;
  size: number;
}

/**
 * POSTs a multipart body (fields, then one file streamed from disk in 1 MiB reads) over plain
 * `node:http` with its Content-Length, and returns the parsed JSON answer. The client's own cost
 * stays small next to the server's (undici's FormData encoding of a Blob was slower than the
 * server it measured).
 */
function postMultipart(url: string, headers: Record<string, string>, fields: [string, string][], fileField: string, file: FileOnDisk): Promise<{ status: number; body: unknown }> {
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="bench.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      agent: false,
      headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + file.size + tail.length) },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) });
        } catch (error) {
          reject(error);
        }
      });
      res.once('error', reject);
    });
    req.write(head);
    const source = createReadStream(file.path, { highWaterMark: MB });
    source.once('error', reject);
    source.pipe(req, { end: false });
    source.once('end', () => req.end(tail));
  });
}

async function restUpload(url: string, token: string, sessionId: string, file: FileOnDisk): Promise<void> {
  const { status, body } = await postMultipart(`${url}/api/chat/sessions/${sessionId}/messages`, { authorization: `Bearer ${token}` }, [['content', '']], 'attachments[0]', file);
  const size = (body as { attachments?: { size: number }[] }).attachments?.[0]?.size;
  if (status !== 201 || size !== file.size) throw new Error(`REST upload failed: ${status} ${JSON.stringify(body)}`);
}

async function upload(url: string, token: string, sessionId: string, file: FileOnDisk): Promise<void> {
  const operations = JSON.stringify({
    query: 'mutation($s: ID!, $f: [Upload!]) { sendMessage(sessionId: $s, content: "", attachments: $f) { message { attachments { size } } } }',
    variables: { s: sessionId, f: [null] },
  });
  const { body } = await postMultipart(
    `${url}/graphql`,
    { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    [
      ['operations', operations],
      ['map', JSON.stringify({ 0: ['variables.f.0'] })],
    ],
    '0',
    file,
  );
  const reply = body as { data?: { sendMessage: { message: { attachments: { size: number }[] } } }; errors?: unknown };
  const size = reply.data?.sendMessage.message.attachments[0]?.size;
  if (size !== file.size) throw new Error(`upload failed: ${JSON.stringify(reply.errors)}`);
}

/** The floor: the same bytes written to the same disk in 64 KiB chunks, fsync'd before close. */
async function rawWrite(source: Buffer, target: string): Promise<void> {
  const chunks = function* () {
    for (let offset = 0; offset < source.length; offset += 64 * 1024) yield source.subarray(offset, offset + 64 * 1024);
  };
  await pipeline(Readable.from(chunks()), createWriteStream(target, { flush: true }));
  rmSync(target);
}

async function timed(times: number, work: (i: number) => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < times; i++) await work(i);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export const scenario: Scenario = {
  name: 'upload',
  async run(options: BenchOptions): Promise<BenchResult> {
    const { log } = options;
    const work = mkdtempSync(join(tmpdir(), 'parley-bench-upload-'));
    const dbName = `parley_bench_upload_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: options.postgresUrl });
    await admin.connect();
    await admin.query(`create database "${dbName}"`);
    const databaseUrl = new URL(options.postgresUrl);
    databaseUrl.pathname = `/${dbName}`;
    let child: ChildProcess | null = null;
    try {
      const server = await startServer(databaseUrl.toString(), join(work, 'data'), log, options.profileDir);
      child = server.child;
      const pid = child.pid!;
      const idleKb = rssKb(pid);
      const { login } = await graphql<{ login: { token: string } }>(server.url, 'mutation($p: String!) { login(username: "admin", password: $p) { token } }', { p: ADMIN_PASSWORD });
      const { createSession } = await graphql<{ createSession: { id: string } }>(server.url, 'mutation { createSession(subject: "bench") { id } }', {}, login.token);

      const count = options.quick ? 5 : 20;
      const tenMb = join(work, 'ten.pdf');
      writePdfLike(tenMb, 10 * MB);
      const tenMbBytes = readFileSync(tenMb);
      const tenMbFile: FileOnDisk = { path: tenMb, size: 10 * MB };
      // Warm-up: JIT, connection pool, first-use allocations.
      await upload(server.url, login.token, createSession.id, tenMbFile);
      await rawWrite(tenMbBytes, join(work, 'warm.bin'));

      log(`uploading ${count} × 10 MB`);
      const { result: uploadSeconds, peakKb: tenPeakKb } = await peakRssDuring(pid, () => timed(count, () => upload(server.url, login.token, createSession.id, tenMbFile)));
      await restUpload(server.url, login.token, createSession.id, tenMbFile);
      log(`uploading ${count} × 10 MB through the chat API's REST multipart route`);
      const { result: restSeconds, peakKb: restTenPeakKb } = await peakRssDuring(pid, () => timed(count, () => restUpload(server.url, login.token, createSession.id, tenMbFile)));
      log(`writing ${count} × 10 MB straight to disk`);
      const rawSeconds = await timed(count, (i) => rawWrite(tenMbBytes, join(work, `raw-${i}.bin`)));
      const parleyMbPerS = (count * 10) / uploadSeconds;
      const floorMbPerS = (count * 10) / rawSeconds;
      const restMbPerS = (count * 10) / restSeconds;

      const bigSize = options.quick ? 100 * MB : 200 * MB;
      const big = join(work, 'big.pdf');
      writePdfLike(big, bigSize);
      const bigFile: FileOnDisk = { path: big, size: bigSize };
      // Let the 10 MB round's garbage go before taking the baseline.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const baselineKb = rssKb(pid);
      log(`uploading one ${bigSize / MB} MB file (baseline RSS ${Math.round(baselineKb / 1024)} MB)`);
      const { result: bigSeconds, peakKb } = await peakRssDuring(pid, () => timed(1, () => upload(server.url, login.token, createSession.id, bigFile)));
      const growthKb = peakKb - baselineKb;
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const restBaselineKb = rssKb(pid);
      log(`uploading one ${bigSize / MB} MB file through REST (baseline RSS ${Math.round(restBaselineKb / 1024)} MB)`);
      const { result: restBigSeconds, peakKb: restPeakKb } = await peakRssDuring(pid, () => timed(1, () => restUpload(server.url, login.token, createSession.id, bigFile)));
      const restGrowthKb = restPeakKb - restBaselineKb;
      const flatLimitKb = 64 * 1024;

      return {
        scenario: 'upload',
        description:
          'Attachment uploads over GraphQL multipart and the chat API form send: each file streams from the request into its staging file (written once, no temporary copy) → sniff → rename → one DB transaction',
        floor: 'the same bytes written straight to a file on the same disk (64 KiB chunks, fsync before close), in the same run',
        database: 'postgresql',
        rows: [
          {
            label: `${count} × 10 MB, sequential`,
            parley: { mb_per_s: round(parleyMbPerS), per_s: round(count / uploadSeconds), rss_peak_kb: tenPeakKb },
            floor: { mb_per_s: round(floorMbPerS), per_s: round(count / rawSeconds) },
            ratio: round(parleyMbPerS / floorMbPerS, 3),
            target: { text: 'throughput ≥ 50% of a raw disk write', met: parleyMbPerS / floorMbPerS >= 0.5 },
          },
          {
            label: `${count} × 10 MB, sequential, REST multipart (POST /api/chat/sessions/{id}/messages)`,
            parley: { mb_per_s: round(restMbPerS), per_s: round(count / restSeconds), rss_peak_kb: restTenPeakKb },
            floor: { mb_per_s: round(floorMbPerS), per_s: round(count / rawSeconds) },
            ratio: round(restMbPerS / floorMbPerS, 3),
            target: { text: 'throughput ≥ 50% of a raw disk write', met: restMbPerS / floorMbPerS >= 0.5 },
          },
          {
            label: `one ${bigSize / MB} MB file through REST: server RSS`,
            parley: { rss_peak_kb: restPeakKb, rss_growth_kb: restGrowthKb, mb_per_s: round(bigSize / MB / restBigSeconds) },
            floor: { rss_peak_kb: restBaselineKb, rss_growth_kb: 0 },
            ratio: round(restBaselineKb / restPeakKb, 3),
            target: { text: `streaming: RSS grows by less than ${flatLimitKb / 1024} MB while ${bigSize / MB} MB pass through`, met: restGrowthKb < flatLimitKb },
          },
          {
            label: `one ${bigSize / MB} MB file: server RSS`,
            parley: { rss_peak_kb: peakKb, rss_growth_kb: growthKb, rss_idle_at_start_kb: idleKb, mb_per_s: round(bigSize / MB / bigSeconds) },
            floor: { rss_peak_kb: baselineKb, rss_growth_kb: 0 },
            ratio: round(baselineKb / peakKb, 3),
            target: { text: `streaming: RSS grows by less than ${flatLimitKb / 1024} MB while ${bigSize / MB} MB pass through`, met: growthKb < flatLimitKb },
          },
        ],
      };
    } finally {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await admin.query(`drop database if exists "${dbName}" with (force)`).catch(() => undefined);
      await admin.end();
      rmSync(work, { recursive: true, force: true });
    }
  },
};

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
