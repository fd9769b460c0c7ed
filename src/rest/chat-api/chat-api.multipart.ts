import busboy from 'busboy';
import type { Request, RequestHandler } from 'express';
import Upload from 'graphql-upload/Upload.mjs';
import type { Logger } from 'pino';
import { type StagedBytes, stageArriving } from '../../attachments/intake.js';
import type { AttachmentStorage } from '../../attachments/storage.js';
import type { UploadConfig } from '../../config/config.js';
import { type CountedBody, countedBody, refuseDeclaredOversize, refuseMidBody } from '../../http/multipart.js';
import { clientAddress } from '../../shared/request-origin.js';
import type { OperationRunner } from '../common/operation-runner.js';
import { ChatApiSendMessageDocument } from '../generated/graphql.js';
import { chatApiFailure } from './chat-api.errors.js';
import { toChatApiMessage } from './chat-api.shapes.js';

/** `content` is at most 10 000 characters (4 bytes each at worst); anything longer is refused, not cut. */
const MAX_FIELD_BYTES = 64 * 1024;
/** Non-file fields a send may carry (content, plus whatever a form adds that we ignore). */
const MAX_FIELDS = 32;
/** `attachments[0]`, `attachments[1]`, ... or `attachments` / `attachments[]` repeated. */
const ATTACHMENT_FIELD = /^attachments(\[\d*\])?$/;

interface Refusal {
  code: string;
  message: string;
}

/**
 * `POST /api/chat/sessions/{sessionId}/messages` as multipart/form-data (seed 001): `content`
 * and files under `attachments[i]`. Like every REST route it runs the named GraphQL operation
 * (ChatApiSendMessage, files as graphql-upload `Upload`s) against the same schema and context;
 * the attachments service does the sniffing, the limits per file and per message, and stores
 * all or nothing.
 *
 * A plain form does not say how many files follow (the GraphQL multipart spec's `map` does), and
 * the operation's `attachments` list must be complete when it starts. So each file streams, as
 * it arrives, into a staging object of the attachment storage (`stageArriving`: each byte is
 * written once, never whole in memory), and the operation runs once the body has ended; the
 * service then checks and commits the staged files in order and stops at the first failure.
 * Limits are also checked while parsing, so an oversized request is refused before the operation
 * runs: nothing is stored, staged files are removed, and a client that goes away mid-upload
 * leaves nothing behind.
 *
 * CSRF: `/graphql` demands a preflight header on multipart because browsers may send its
 * cookies cross-site. REST callers authenticate with a bearer token in the Authorization header,
 * which a cross-site form cannot set, so no preflight header is required here.
 */
export function chatApiMultipartSend(runner: OperationRunner, uploads: UploadConfig, storage: AttachmentStorage, logger: Logger, isSessionId: (id: string) => boolean): RequestHandler {
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    const answer = (status: number, body: unknown) => {
      if (!res.headersSent) res.status(status).json(body);
    };
    const answerWith = (code: string, message: string) => () => {
      const failure = chatApiFailure(code, message);
      answer(failure.status, failure.body);
    };
    const refuseWith = (code: string, message: string) => refuseMidBody(req, res, answerWith(code, message));

    if (refuseDeclaredOversize(req, res, uploads.maxRequestBytes, answerWith('PAYLOAD_TOO_LARGE', tooLarge(uploads.maxRequestBytes)))) return;
    const sessionId = String(req.params.sessionId);
    if (!isSessionId(sessionId)) return refuseWith('NOT_FOUND', `Chat session ${sessionId} not found`);

    (async () => {
      // Unknown or revoked callers are refused before a byte of their files is written.
      const context = await runner.context(req.headers.authorization, clientAddress(req.ip, req.headers['user-agent']));
      if (!context.ok) return refuseWith(context.error.code, context.error.message);
      const parsed = await parseSend(req, uploads, storage);
      if ('refusal' in parsed) {
        if (parsed.refusal) refuseWith(parsed.refusal.code, parsed.refusal.message);
        return;
      }
      let reply: { status: number; body: unknown };
      try {
        const result = await runner.run(context.value, ChatApiSendMessageDocument, {
          sessionId,
          content: parsed.content ?? '',
          attachments: parsed.files.map((file) => file.upload),
        });
        reply = result.ok ? { status: 201, body: toChatApiMessage(result.value.sendMessage.message) } : chatApiFailure(result.error.code, result.error.message);
      } finally {
        // Files the operation committed stay; the others (refused, or never reached) go before
        // the answer: a client told 400 finds nothing of its upload left.
        await discardAll(parsed.files);
      }
      answer(reply.status, reply.body);
    })().catch((error: unknown) => {
      logger.error({ err: error }, 'chat API multipart send failed');
      refuseMidBody(req, res, answerWith('INTERNAL', ''));
    });
  };
}

const tooLarge = (max: number) => `The request body may be at most ${max} bytes`;

interface ReceivedPart {
  upload: Upload;
  bytes: Promise<StagedBytes>;
}

/** Removes what was staged and not committed; a file that failed to stage removed itself. */
async function discardAll(files: readonly ReceivedPart[]): Promise<void> {
  await Promise.all(
    files.map((file) =>
      file.bytes.then(
        (bytes) => bytes.staged.discard(),
        () => undefined,
      ),
    ),
  );
}

/** The body parsed into `content` and files held in temporary files; `refusal: null` means the client went away. */
function parseSend(req: Request, uploads: UploadConfig, storage: AttachmentStorage): Promise<{ content: string | undefined; files: ReceivedPart[] } | { refusal: Refusal | null }> {
  return new Promise((resolve) => {
    // The client may have gone while its token was being checked.
    if (req.destroyed) return resolve({ refusal: null });
    const files: ReceivedPart[] = [];
    const stopStaging = new AbortController();
    let content: string | undefined;
    let settled = false;
    const finish = (outcome: { content: string | undefined; files: ReceivedPart[] } | { refusal: Refusal | null }) => {
      if (settled) return;
      settled = true;
      body?.unpipe(parser);
      if ('refusal' in outcome) {
        // Cut off from the body, a file still arriving would wait forever: aborting fails its
        // staging, which removes what it wrote; files staged already are removed here. The
        // refusal is answered once both are done, so nothing of the upload outlives it.
        stopStaging.abort();
        discardAll(files).then(
          () => resolve(outcome),
          () => resolve(outcome),
        );
        return;
      }
      resolve(outcome);
    };
    const refuse = (code: string, message: string) => finish({ refusal: { code, message } });

    let parser: busboy.Busboy;
    let body: CountedBody | undefined;
    try {
      parser = busboy({
        headers: req.headers,
        // Names arrive whole, so `../../etc/passwd` is refused (INVALID_FILE_NAME) instead of silently shortened.
        preservePath: true,
        // One byte more than allowed, so crossing the limit is seen (busboy truncates at it).
        limits: { fileSize: uploads.maxFileBytes + 1, fieldSize: MAX_FIELD_BYTES, fields: MAX_FIELDS },
      });
    } catch (error) {
      queueMicrotask(() => refuse('BAD_REQUEST', `Malformed multipart request: ${(error as Error).message}`));
      return;
    }

    parser.on('field', (name, value, info) => {
      if (name !== 'content') return;
      if (info.valueTruncated) return refuse('BAD_REQUEST', `content may be at most ${MAX_FIELD_BYTES} bytes`);
      content = value;
    });
    parser.on('fieldsLimit', () => refuse('BAD_REQUEST', `A message form may have at most ${MAX_FIELDS} fields`));
    parser.on('file', (name, stream, info) => {
      // A broken body fails the part too; the parser's own error answers for both.
      stream.on('error', () => undefined);
      if (settled || !ATTACHMENT_FIELD.test(name)) {
        stream.resume();
        return;
      }
      if (files.length === uploads.maxFiles) {
        stream.resume();
        return refuse('BAD_REQUEST', `at most ${uploads.maxFiles} attachments per message`);
      }
      const index = files.length;
      stream.on('limit', () => refuse('BAD_REQUEST', `attachments[${index}] is larger than ${uploads.maxFileBytes} bytes`));
      const bytes = stageArriving(storage, stream, stopStaging.signal);
      bytes.catch(() => undefined);
      const upload = new Upload();
      upload.resolve({
        filename: info.filename ?? '',
        mimetype: info.mimeType,
        encoding: info.encoding,
        fieldName: name,
        // Never read: the service takes the staged bytes (`staged`) where they are.
        createReadStream: () => {
          throw new Error('the chat API form send hands over staged files');
        },
        staged: () => bytes,
      } as Parameters<Upload['resolve']>[0]);
      files.push({ upload, bytes });
    });
    parser.on('error', (error: Error) => refuse('BAD_REQUEST', `Malformed multipart request: ${error.message}`));
    parser.on('close', () => finish({ content, files }));

    // Bodies without Content-Length (chunked) are counted as they arrive.
    body = countedBody(req, uploads.maxRequestBytes, () => refuse('PAYLOAD_TOO_LARGE', tooLarge(uploads.maxRequestBytes)));
    req.once('close', () => {
      if (!req.readableEnded) finish({ refusal: null });
    });
    body.pipe(parser);
  });
}
