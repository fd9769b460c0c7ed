import { createHash, type Hash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachmentStorage, StagedObject } from './storage.js';

/** A file's bytes in a staging object, counted and hashed on the way in. */
export interface StagedBytes {
  staged: StagedObject;
  size: number;
  sha256: string;
}

/** Counts and hashes bytes on their way to storage. */
export class Digest extends Transform {
  readonly hash: Hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }
}

/**
 * For transports that must take a file before the operation that checks it starts: writes the
 * arriving bytes once, into a staging object of the attachment storage, counting and hashing
 * them. Nothing is visible until the service commits it; the caller discards it if no operation
 * does (`staged.discard()` is a no-op after a commit), and aborts `signal` to give up on it while
 * it is still arriving (what was written is then removed).
 */
export async function stageArriving(storage: AttachmentStorage, source: Readable, signal: AbortSignal): Promise<StagedBytes> {
  const staged = await storage.stage();
  const digest = new Digest();
  try {
    // `signal` stops a file cut off from its body (a refused request): a multipart part stream
    // that is merely destroyed never reports it, so the copy would wait forever.
    await pipeline(source, digest, staged.sink, { signal });
  } catch (error) {
    await staged.discard();
    throw error;
  }
  return { staged, size: digest.size, sha256: digest.hash.digest('hex') };
}
