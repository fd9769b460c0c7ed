import type { Readable, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { UploadConfig } from '../config/config.js';
import type { Db } from '../db/orm.js';
import type { Scope } from '../db/scope.js';
import { Attachment, type AttachmentMetadata } from '../model/attachment.entity.js';
import type { ChatMessage } from '../model/message.entity.js';
import { hiddenFrom } from '../sessions/message-visibility.js';
import { loadAccessibleSession } from '../sessions/session-access.js';
import { badInput, DomainError, notFound, unauthenticated } from '../shared/errors.js';
import { isUuid } from '../shared/validate.js';
import { cleanFileName } from './file-name.js';
import { Digest, type StagedBytes } from './intake.js';
import { readMetadata, sniffContentType } from './sniff.js';
import { type AttachmentStorage, type ByteRange, newStorageKey, type StagedObject } from './storage.js';

/**
 * A file as any transport hands it over once its part of the request has started arriving:
 * graphql-upload's FileUpload has this shape, and a REST multipart parser can build it.
 * `mimetype` is the client's claim; it is never trusted (the bytes are sniffed).
 */
export interface IncomingUpload {
  filename: string;
  mimetype?: string;
  createReadStream(): Readable;
  /**
   * Set when the transport already wrote the bytes to storage as they arrived (a plain form must
   * be read whole before its operation starts; see `stageArriving`): the service checks and
   * commits them where they are instead of reading `createReadStream` into a second copy.
   */
  staged?: () => Promise<StagedBytes>;
}

/** Files may still be arriving when the service starts on the first one. */
export type UploadInput = IncomingUpload | Promise<IncomingUpload>;

/** A file stored under its final key, not yet referenced by any row. */
export interface ReceivedFile {
  storageKey: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  metadata: AttachmentMetadata;
}

/** Files received for one message: rows are created from them, or they are discarded. */
export interface ReceivedFiles {
  readonly files: readonly ReceivedFile[];
  /** Removes every stored file (the message was not written). */
  discard(): Promise<void>;
}

export interface AttachmentDeps {
  storage: AttachmentStorage;
  config: { uploads: UploadConfig };
}

const FIELD = 'attachments';

const interrupted = () => badInput(FIELD, 'The upload did not complete', 'UPLOAD_INTERRUPTED');

/** Why a file of `size` bytes may not be stored (its own limit, or the message's total); null when it may. */
function sizeRefusal(size: number, limits: { maxFileBytes: number; remainingBytes: number; maxTotalBytes: number }, index: number): DomainError | null {
  if (size > limits.maxFileBytes) return badInput(FIELD, `attachments[${index}] is larger than ${limits.maxFileBytes} bytes`, 'FILE_TOO_LARGE');
  if (size > limits.remainingBytes) return badInput(FIELD, `the attachments of one message may total at most ${limits.maxTotalBytes} bytes`, 'REQUEST_TOO_LARGE');
  return null;
}

/** Counts, hashes and enforces the size limits while the bytes stream through, before they reach the disk. */
class Inspector extends Digest {
  constructor(
    private readonly limits: { maxFileBytes: number; remainingBytes: number; maxTotalBytes: number },
    private readonly index: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    const refusal = sizeRefusal(this.size + chunk.length, this.limits, this.index);
    if (refusal) {
      callback(refusal);
      return;
    }
    super._transform(chunk, encoding, callback);
  }
}

/**
 * The rules for attachments: limits, content sniffing against the allow-list, clean names,
 * server-generated storage keys, and who may download. Receiving stores files all or nothing;
 * MessageService writes the rows in the message's transaction and discards the files if that fails.
 */
export class AttachmentService {
  constructor(
    private readonly scope: Scope,
    private readonly deps: AttachmentDeps,
  ) {}

  /** Checked before anything is read, so a refused request stores nothing. */
  checkCount(uploads: readonly UploadInput[]): void {
    const { maxFiles } = this.deps.config.uploads;
    if (uploads.length > maxFiles) throw badInput(FIELD, `at most ${maxFiles} attachments per message`, 'TOO_MANY_FILES');
  }

  /**
   * Streams every upload into storage, one after another (they arrive in order), and stores
   * each under a fresh key once its bytes passed every check. On any failure every file of
   * the batch is removed, including the partly written one, and the error is rethrown.
   */
  async receive(tenantId: string, uploads: readonly UploadInput[]): Promise<ReceivedFiles> {
    this.checkCount(uploads);
    const files: ReceivedFile[] = [];
    const discard = async () => {
      await Promise.all(files.splice(0).map((file) => this.deps.storage.remove(file.storageKey)));
    };
    let used = 0;
    try {
      for (const [index, input] of uploads.entries()) {
        const file = await this.receiveOne(tenantId, input, index, used);
        files.push(file);
        used += file.size;
      }
    } catch (error) {
      await discard();
      throw error;
    }
    return { files, discard };
  }

  /** Stages the rows for received files in the message's unit of work. */
  addRows(tx: Db, message: ChatMessage, received: ReceivedFiles): Attachment[] {
    return received.files.map((file, position) => {
      const attachment = tx.create(Attachment, { tenant: message.tenant, message, position, ...file });
      message.attachments.add(attachment);
      return attachment;
    });
  }

  /**
   * An attachment the viewer may download: the same rule as reading its message's session.
   * A same-tenant caller who may not read that session is refused with FORBIDDEN (seed 001:
   * 403, as the session routes answer); another tenant's attachment, or a deleted message's, is
   * indistinguishable from an id that does not exist (the tenant filter never finds the former).
   */
  async findReadable(idArg: string): Promise<Attachment> {
    const { em, viewer } = this.scope;
    if (viewer.kind === 'anonymous') throw unauthenticated();
    const missing = () => notFound('ATTACHMENT_NOT_FOUND', 'Attachment not found');
    if (!isUuid(idArg)) throw missing();
    const attachment = await em.findOne(Attachment, { id: idArg.toLowerCase() }, { populate: ['message'] });
    // A note's files are as invisible as the note: missing, not forbidden, so they leave no trace.
    if (!attachment || attachment.message.deletedAt !== null || hiddenFrom(viewer, attachment.message)) throw missing();
    try {
      await loadAccessibleSession(em, viewer, attachment.message.session.id);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'NOT_FOUND') throw missing();
      throw error;
    }
    return attachment;
  }

  open(attachment: Attachment, range?: ByteRange): Promise<Readable> {
    return this.deps.storage.open(attachment.storageKey, range);
  }

  private async receiveOne(tenantId: string, input: UploadInput, index: number, used: number): Promise<ReceivedFile> {
    const { maxFileBytes, maxRequestBytes, allowedTypes } = this.deps.config.uploads;
    let upload: IncomingUpload;
    try {
      upload = await input;
    } catch (error) {
      throw error instanceof DomainError ? error : interrupted();
    }
    const name = cleanFileName(upload.filename, FIELD);
    const limits = { maxFileBytes, remainingBytes: maxRequestBytes - used, maxTotalBytes: maxRequestBytes };
    // Staging first: a source opened and then never read would keep the transport's buffer alive.
    let bytes: StagedBytes | null = null;
    try {
      bytes = upload.staged ? await upload.staged() : null;
    } catch (error) {
      throw error instanceof DomainError ? error : interrupted();
    }
    const staged = bytes?.staged ?? (await this.deps.storage.stage());
    try {
      let size: number;
      let sha256: string;
      if (bytes) {
        const refusal = sizeRefusal(bytes.size, limits, index);
        if (refusal) throw refusal;
        ({ size, sha256 } = bytes);
      } else {
        let source: Readable;
        try {
          source = upload.createReadStream();
        } catch (error) {
          throw error instanceof DomainError ? error : interrupted();
        }
        const inspector = new Inspector(limits, index);
        await this.copy(source, inspector, staged);
        size = inspector.size;
        sha256 = inspector.hash.digest('hex');
      }
      if (size === 0) throw badInput(FIELD, `attachments[${index}] is empty`, 'EMPTY_FILE');
      const contentType = await sniffContentType(staged, size);
      if (contentType === null || !isAllowed(contentType, allowedTypes)) {
        throw badInput(FIELD, `attachments[${index}] is of a type that is not accepted (${contentType ?? 'unrecognised binary'})`, 'UNSUPPORTED_TYPE');
      }
      const metadata = await readMetadata(staged, contentType, size);
      const storageKey = newStorageKey(tenantId);
      await staged.commit(storageKey);
      return { storageKey, name, contentType, size, sha256, metadata };
    } catch (error) {
      await staged.discard();
      throw error;
    }
  }

  /** A failing source is the client's doing (aborted, cut off); a failing sink is ours (disk). */
  private async copy(source: Readable, inspector: Inspector, staged: StagedObject): Promise<void> {
    let sourceFailure: unknown = null;
    source.once('error', (error) => (sourceFailure ??= error));
    try {
      await pipeline(source, inspector, staged.sink);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (sourceFailure !== null) throw sourceFailure instanceof DomainError ? sourceFailure : interrupted();
      throw error;
    }
  }
}

export function isAllowed(contentType: string, allowed: readonly string[]): boolean {
  const family = `${contentType.split('/')[0]}/*`;
  return allowed.includes(contentType) || allowed.includes(family);
}
