import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import busboy from 'busboy';
import type { FileUpload } from 'graphql-upload/processRequest.mjs';
import Upload from 'graphql-upload/Upload.mjs';

const SPEC = 'https://github.com/jaydenseric/graphql-multipart-request-spec';

/** An error graphql-upload's middleware answers with its status (it reads `status` and `expose`). */
function httpError(status: number, message: string): Error & { status: number; expose: boolean } {
  return Object.assign(new Error(message), { status, expose: true });
}

export interface UploadRequestOptions {
  maxFieldSize: number;
  maxFileSize: number;
  maxFiles: number;
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Sets `value` at a dotted path (`variables.attachments.0`) inside the operations object,
 * creating missing objects on the way as graphql-upload's object-path does; false for a path
 * that cannot be set (through a non-object, or a key that would reach a prototype).
 */
function setPath(target: object, path: string, value: unknown): boolean {
  const keys = path.split('.');
  if (keys.some((key) => UNSAFE_KEYS.has(key))) return false;
  let node = target as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    if (!Object.hasOwn(node, key) || node[key] === undefined || node[key] === null) node[key] = {};
    const next = node[key];
    if (typeof next !== 'object') return false;
    node = next as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
  return true;
}

/**
 * A GraphQL multipart request (graphql-multipart-request-spec), parsed as graphql-upload's
 * `processRequest` does and with its error statuses and messages, with one difference: each file
 * is handed to the operation as the request's own stream, not through a temporary copy on disk
 * (graphql-upload buffers every file in an fs-capacitor file). The attachments service writes
 * each byte once, into its staging file (bench/NOTES.md).
 *
 * Streaming means the body moves only as fast as the operation reads it, so whatever the
 * operation does not read must still be drained, or the request would never end:
 * - a file read only in part (refused midway) is drained from then on;
 * - once the answer is being sent, every file not read, and every part still to come, is drained;
 * - a file can be read once (mapping one file to two variables is refused when the second reads it).
 */
/** The operations object (or a batch of them) with each mapped variable replaced by its Upload. */
type Operations = Record<string, unknown> | Record<string, unknown>[];

export function processUploadRequest(request: IncomingMessage, response: ServerResponse, options: UploadRequestOptions): Promise<Operations> {
  return new Promise((resolve, reject) => {
    let failure: Error | null = null;
    let operations: Operations | null = null;
    let map: Map<string, Upload> | null = null;
    /** True once the answer is on its way: nothing will read another byte. */
    let released = false;
    const unread = new Set<Readable>();

    const parser = busboy({
      headers: request.headers,
      defParamCharset: 'utf8',
      // Names arrive whole, so the service refuses `../../etc/passwd` (INVALID_FILE_NAME) instead
      // of storing it silently shortened to `passwd`, as busboy's default would.
      preservePath: true,
      limits: { fieldSize: options.maxFieldSize, fields: 2, fileSize: options.maxFileSize, files: options.maxFiles },
    });

    const drain = (stream: Readable) => {
      unread.delete(stream);
      stream.unpipe();
      stream.on('error', () => undefined);
      stream.resume();
    };

    const exit = (error: Error, isParserError = false) => {
      if (failure) return;
      failure = error;
      if (map) for (const upload of map.values()) if (!upload.file) upload.reject(error);
      if (isParserError) parser.destroy();
      else parser.destroy(error);
      request.unpipe(parser);
      setImmediate(() => request.resume());
      reject(error);
    };

    // graphql-upload's middleware holds the answer until the body has ended; release every
    // file nobody is reading, or that end would never come.
    const send = (response as ServerResponse & { send?: (...args: unknown[]) => unknown }).send;
    if (typeof send === 'function') {
      (response as ServerResponse & { send: (...args: unknown[]) => unknown }).send = (...args: unknown[]) => {
        released = true;
        for (const stream of [...unread]) drain(stream);
        return send.apply(response, args);
      };
    }
    response.once('close', () => {
      released = true;
      for (const stream of [...unread]) drain(stream);
    });

    parser.on('field', (fieldName, value, { valueTruncated }) => {
      if (valueTruncated) return exit(httpError(413, `The ‘${fieldName}’ multipart field value exceeds the ${options.maxFieldSize} byte size limit.`));
      if (fieldName === 'operations') {
        try {
          operations = JSON.parse(value) as Operations;
        } catch {
          return exit(httpError(400, `Invalid JSON in the ‘operations’ multipart field (${SPEC}).`));
        }
        if (typeof operations !== 'object' || !operations) return exit(httpError(400, `Invalid type for the ‘operations’ multipart field (${SPEC}).`));
        return;
      }
      if (fieldName !== 'map') return;
      if (!operations) return exit(httpError(400, `Misordered multipart fields; ‘map’ should follow ‘operations’ (${SPEC}).`));
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return exit(httpError(400, `Invalid JSON in the ‘map’ multipart field (${SPEC}).`));
      }
      if (typeof parsed !== 'object' || !parsed || Array.isArray(parsed)) return exit(httpError(400, `Invalid type for the ‘map’ multipart field (${SPEC}).`));
      const entries = Object.entries(parsed);
      if (entries.length > options.maxFiles) return exit(httpError(413, `${options.maxFiles} max file uploads exceeded.`));
      map = new Map();
      for (const [name, paths] of entries) {
        if (!Array.isArray(paths)) return exit(httpError(400, `Invalid type for the ‘map’ multipart field entry key ‘${name}’ array (${SPEC}).`));
        const upload = new Upload();
        map.set(name, upload);
        for (const [index, path] of paths.entries()) {
          if (typeof path !== 'string') return exit(httpError(400, `Invalid type for the ‘map’ multipart field entry key ‘${name}’ array index ‘${index}’ value (${SPEC}).`));
          if (!setPath(operations, path, upload))
            return exit(httpError(400, `Invalid object path for the ‘map’ multipart field entry key ‘${name}’ array index ‘${index}’ value ‘${path}’ (${SPEC}).`));
        }
      }
      resolve(operations);
    });

    parser.on('file', (fieldName, stream, { filename, encoding, mimeType }) => {
      stream.on('error', () => undefined);
      if (!map) {
        drain(stream);
        return exit(httpError(400, `Misordered multipart fields; files should follow ‘map’ (${SPEC}).`));
      }
      const upload = map.get(fieldName);
      if (!upload || released || upload.file) {
        drain(stream);
        return;
      }
      let fileError: Error | null = null;
      let taken = false;
      stream.on('limit', () => {
        fileError = httpError(413, `File truncated as it exceeds the ${options.maxFileSize} byte size limit.`);
      });
      unread.add(stream);
      const file: FileUpload = {
        filename,
        mimetype: mimeType,
        encoding,
        fieldName,
        createReadStream: () => {
          if (fileError) throw fileError;
          if (failure && !taken) throw failure;
          if (taken) throw httpError(400, `The file ‘${fieldName}’ is mapped to more than one variable; each file can be read once.`);
          taken = true;
          unread.delete(stream);
          const out = new PassThrough();
          stream.on('limit', () => out.destroy(fileError ?? undefined));
          stream.once('error', (error) => out.destroy(error));
          // A reader that gives up (a refused file) no longer holds the body back: the rest is drained.
          out.once('close', () => {
            if (!stream.readableEnded) drain(stream);
          });
          return stream.pipe(out);
        },
      } as FileUpload;
      upload.resolve(file);
    });

    parser.once('filesLimit', () => exit(httpError(413, `${options.maxFiles} max file uploads exceeded.`)));
    parser.once('finish', () => {
      request.unpipe(parser);
      request.resume();
      if (!operations) return exit(httpError(400, `Missing multipart field ‘operations’ (${SPEC}).`));
      if (!map) return exit(httpError(400, `Missing multipart field ‘map’ (${SPEC}).`));
      for (const upload of map.values()) if (!upload.file) upload.reject(httpError(400, 'File missing in the request.'));
    });
    parser.on('error', (error: Error) => exit(error, true));
    request.once('close', () => {
      if (!request.readableEnded) exit(httpError(499, 'Request disconnected during file upload stream parsing.'));
    });
    request.pipe(parser);
  });
}
