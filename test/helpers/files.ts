import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { TestServer } from './server.js';

/** Real files built byte by byte, so their properties (size, duration) are known exactly. */

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An RGB PNG of the given size, a colour gradient so it is not trivially compressible. */
export function png(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([x % 256, y % 256, (x * y) % 256], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A one-page PDF with a valid cross-reference table. */
export function pdf(): Buffer {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>'];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** 16-bit mono PCM WAV: `seconds` of a 440 Hz tone at `rate` samples per second. */
export function wav(seconds: number, rate = 8000): Buffer {
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Every file under a directory, relative paths (staging files included). */
export function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else found.push(relative(dir, path));
    }
  };
  walk(dir);
  return found.sort();
}

/**
 * graphql-upload's own parser buffers each file in an fs-capacitor temporary file; Parley streams
 * files straight into their staging file instead, so none may ever be open. The server runs in
 * this process, so any such file (deleted or not) would show up among our descriptors.
 */
export function openCapacitorFiles(): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (/capacitor-[0-9a-f]+\.tmp/.test(target)) open.push(target);
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return open;
}

/** Waits for a condition that becomes true once the server finished cleaning up (not a timing assertion). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`still not true after ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What uploads leave behind on a server: message and attachment rows, and stored (and staging) files. */
export interface StoredState {
  messages: number;
  attachments: number;
  files: string[];
}

async function countRows(t: TestServer, sql: string): Promise<number> {
  const [row] = await t.server.orm.em.fork().getConnection().execute<{ n: string | number }[]>(sql);
  return Number(row!.n);
}

export async function storedState(t: TestServer): Promise<StoredState> {
  return {
    messages: await countRows(t, 'select count(*) as n from chat_messages'),
    attachments: await countRows(t, 'select count(*) as n from attachments'),
    files: filesUnder(join(t.dataDir, 'attachments')),
  };
}

/** A failed send leaves exactly what was there before: no row, no file, no temporary file. */
export async function expectNothingLeft(t: TestServer, before: StoredState): Promise<void> {
  const storageDir = join(t.dataDir, 'attachments');
  await eventually(() => openCapacitorFiles().length === 0, 'temporary upload files released');
  await eventually(() => filesUnder(storageDir).length === before.files.length, 'staging files removed');
  expect(await storedState(t)).toEqual(before);
  expect(filesUnder(join(storageDir, '.staging'))).toEqual([]);
}
