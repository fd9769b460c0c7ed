import { type ClientRequest, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { UserRole } from '../src/shared/enums.js';
import { CloseSessionDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { eventually, expectNothingLeft, filesUnder, openCapacitorFiles, pdf, png, sha256, storedState } from './helpers/files.js';
import { type Actor, assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { OpenApiChecker, rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Small limits, so every limit can be crossed with small real files. */
const MAX_FILE = 64 * 1024;
const MAX_FILES = 3;
const MAX_REQUEST = 160 * 1024;

const TEMPLATE = '/api/chat/sessions/{sessionId}/messages';
const MESSAGE_KEYS = ['attachments', 'content', 'id', 'read', 'sender', 'status', 'timestamp'];

interface FilePart {
  field?: string;
  name: string;
  type: string;
  data: Uint8Array;
}

/** Bytes no sniffer recognises: refused by the allow-list. */
const unknownBinary = () => Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7 + 3) % 256));

describe('chat API multipart send (seed 001: content + attachments[i])', () => {
  let t: TestServer;
  let admin: Actor;
  let owner: Actor;
  let staff: Actor;
  let stranger: Actor;
  let sessionId: string;
  const openapi = new OpenApiChecker();

  beforeAll(async () => {
    t = await startTestServer({
      env: { UPLOAD_MAX_FILE_BYTES: String(MAX_FILE), UPLOAD_MAX_FILES: String(MAX_FILES), UPLOAD_MAX_REQUEST_BYTES: String(MAX_REQUEST) },
    });
    admin = await loginAdmin(t);
    owner = await userWithRole(t, admin, UserRole.USER);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    stranger = await userWithRole(t, admin, UserRole.USER);
    sessionId = await assignedSession(t, admin, owner, staff);
  });
  afterAll(() => t.dispose());

  const messagesPath = (id = sessionId) => `/api/chat/sessions/${id}/messages`;

  /** A real multipart request built by fetch's FormData; every answer is checked against the OpenAPI document. */
  async function send(token: string | undefined, files: FilePart[], options: { content?: string; extra?: Record<string, string>; session?: string } = {}) {
    const form = new FormData();
    if (options.content !== undefined) form.append('content', options.content);
    for (const [name, value] of Object.entries(options.extra ?? {})) form.append(name, value);
    for (const [i, file] of files.entries()) form.append(file.field ?? `attachments[${i}]`, new Blob([file.data], { type: file.type }), file.name);
    const response = await rest(t.url, 'POST', messagesPath(options.session), { token, form });
    openapi.check('POST', TEMPLATE, response);
    if (response.status >= 400) expect(Object.keys(response.body).sort()).toEqual(['error', 'message', 'success']);
    return response;
  }

  /** A hand-written multipart request (node:http, chunked: no Content-Length); `abort` stops it after the first half. */
  function postRaw(token: string, body: Buffer, options: { boundary?: string; abort?: boolean } = {}) {
    const boundary = options.boundary ?? 'parley-boundary';
    return new Promise<{ status: number; body: any } | 'aborted'>((resolve, reject) => {
      const req: ClientRequest = httpRequest(t.url + messagesPath(), {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${token}` },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      });
      req.on('error', (error) => (options.abort ? resolve('aborted') : reject(error)));
      const cut = options.abort ? Math.floor(body.length / 2) : body.length;
      for (let offset = 0; offset < cut; offset += 16 * 1024) req.write(body.subarray(offset, Math.min(cut, offset + 16 * 1024)));
      if (!options.abort) return req.end();
      // The server has the first half (its staging file exists) before the client goes away; the
      // bytes go there alone, never through a temporary copy elsewhere (each byte written once).
      eventually(() => filesUnder(join(t.dataDir, 'attachments', '.staging')).length > 0, 'the upload reached its staging file')
        .then(() => {
          expect(openCapacitorFiles()).toEqual([]);
          req.destroy();
        })
        .catch((error: unknown) => reject(error));
    });
  }

  const part = (boundary: string, name: string, value: Buffer | string, file?: { filename: string; type: string }) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file.filename}"\r\nContent-Type: ${file.type}` : ''}\r\n\r\n`),
      Buffer.from(value),
      Buffer.from('\r\n'),
    ]);

  it('sends text with a PNG (201, seed ChatMessage with attachments) whose url downloads identical bytes, and lists it', async () => {
    const image = png(37, 21);
    const response = await send(owner.token, [{ name: 'photo.png', type: 'image/png', data: image }], { content: 'Here is the screenshot' });
    expect(response.status).toBe(201);
    const message = response.body;
    expect(Object.keys(message).sort()).toEqual(MESSAGE_KEYS);
    expect(message).toMatchObject({ content: 'Here is the screenshot', sender: 'user', read: false, status: 'sent' });
    expect(message.attachments).toEqual([
      { id: expect.any(String), url: `/api/chat/attachments/${message.attachments[0].id}`, type: 'image/png', name: 'photo.png', size: image.length, metadata: { width: 37, height: 21 } },
    ]);

    const download = await fetch(t.url + message.attachments[0].url, { headers: { authorization: `Bearer ${staff.token}` } });
    expect(download.status).toBe(200);
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(image));

    const listed = await fetch(`${t.url}${messagesPath()}`, { headers: { authorization: `Bearer ${staff.token}` } });
    const page = (await listed.json()) as { messages: { id: string; attachments?: unknown }[] };
    expect(page.messages.find((m) => m.id === message.id)?.attachments).toEqual(message.attachments);
  });

  it('accepts `attachments` and `attachments[]` repeated, keeps their order and ignores unknown fields', async () => {
    const image = png(8, 4);
    const document = pdf();
    const response = await send(
      owner.token,
      [
        { field: 'attachments[]', name: 'a.png', type: 'image/png', data: image },
        { field: 'attachments', name: 'b.pdf', type: 'application/pdf', data: document },
        { field: 'avatar', name: 'ignored.png', type: 'image/png', data: image },
      ],
      { content: 'two files', extra: { priority: 'high' } },
    );
    expect(response.status).toBe(201);
    expect(response.body.attachments.map((a: { name: string; type: string; size: number }) => [a.name, a.type, a.size])).toEqual([
      ['a.png', 'image/png', image.length],
      ['b.pdf', 'application/pdf', document.length],
    ]);
  });

  it('allows a blank content with attachments, as GraphQL does, but not a message with neither', async () => {
    const withFile = await send(owner.token, [{ name: 'only.png', type: 'image/png', data: png(2, 2) }]);
    expect(withFile.status).toBe(201);
    expect(withFile.body.content).toBe('');
    const before = await storedState(t);
    const empty = await send(owner.token, [], { content: '   ' });
    expect(empty.status).toBe(400);
    await expectNothingLeft(t, before);
  });

  it('refuses a closed session with 409 and stores nothing', async () => {
    const closed = await assignedSession(t, admin, owner, staff);
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: closed }, admin.token);
    const before = await storedState(t);
    const response = await send(owner.token, [{ name: 'late.png', type: 'image/png', data: png(4, 4) }], { content: 'too late', session: closed });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('CONFLICT');
    await expectNothingLeft(t, before);
  });

  it('answers 403 to a non-participant, 401 without a token and 404 for an unknown session, storing nothing', async () => {
    const before = await storedState(t);
    const file = [{ name: 'x.png', type: 'image/png', data: png(4, 4) }];
    expect((await send(stranger.token, file, { content: 'hi' })).status).toBe(403);
    expect((await send(undefined, file, { content: 'hi' })).status).toBe(401);
    expect((await send(owner.token, file, { content: 'hi', session: '999999' })).status).toBe(404);
    expect((await send(owner.token, file, { content: 'hi', session: 'not-an-id' })).status).toBe(404);
    await expectNothingLeft(t, before);
  });

  it('refuses a file over the size limit with 400 and leaves no message, attachment or file', async () => {
    const before = await storedState(t);
    const response = await send(
      owner.token,
      [
        { name: 'fine.png', type: 'image/png', data: png(4, 4) },
        { name: 'big.bin', type: 'application/octet-stream', data: Buffer.alloc(MAX_FILE + 1, 1) },
      ],
      { content: 'big' },
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      success: false,
      message: `attachments[1] is larger than ${MAX_FILE} bytes`,
      error: { code: 'BAD_REQUEST', message: `attachments[1] is larger than ${MAX_FILE} bytes` },
    });
    await expectNothingLeft(t, before);
  });

  it('refuses more files than allowed with 400, storing nothing', async () => {
    const before = await storedState(t);
    const files = Array.from({ length: MAX_FILES + 1 }, (_, i) => ({ name: `${i}.png`, type: 'image/png', data: png(2, 2) }));
    const response = await send(owner.token, files, { content: 'many' });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(`at most ${MAX_FILES} attachments per message`);
    await expectNothingLeft(t, before);
  });

  it('stops the batch at the first file the service refuses (type not accepted): 400, nothing stored', async () => {
    const before = await storedState(t);
    const response = await send(
      owner.token,
      [
        { name: 'ok.png', type: 'image/png', data: png(4, 4) },
        { name: 'odd.png', type: 'image/png', data: unknownBinary() },
      ],
      { content: 'mixed' },
    );
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/^attachments\[1\] is of a type that is not accepted/);
    await expectNothingLeft(t, before);
  });

  it('refuses a path-like file name with 400 instead of shortening it, storing nothing', async () => {
    const before = await storedState(t);
    const response = await send(owner.token, [{ name: '../../etc/passwd', type: 'image/png', data: png(4, 4) }], { content: 'sneaky' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ success: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/directory parts/) } });
    await expectNothingLeft(t, before);
  });

  it('refuses a body over the request limit with 413, whether declared or chunked', async () => {
    const before = await storedState(t);
    const files = Array.from({ length: MAX_FILES }, (_, i) => ({ name: `${i}.bin`, type: 'application/octet-stream', data: Buffer.alloc(MAX_FILE - 1024, i) }));
    const declared = await send(owner.token, files, { content: 'too much' });
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('PAYLOAD_TOO_LARGE');

    const boundary = 'parley-boundary';
    const chunked = await postRaw(
      owner.token,
      Buffer.concat([
        part(boundary, 'content', 'too much'),
        ...files.map((file, i) => part(boundary, `attachments[${i}]`, file.data as Buffer, { filename: file.name, type: file.type })),
        Buffer.from(`--${boundary}--\r\n`),
      ]),
    );
    expect(chunked).toEqual({ status: 413, body: { success: false, message: `The request body may be at most ${MAX_REQUEST} bytes`, error: expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }) } });
    await expectNothingLeft(t, before);
  });

  it('answers malformed multipart with 400 in the chat API body', async () => {
    const before = await storedState(t);
    const boundary = 'parley-boundary';
    // The closing boundary never comes.
    const truncated = await postRaw(
      owner.token,
      Buffer.concat([part(boundary, 'content', 'hi'), Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="attachments[0]"; filename="a.png"\r\n\r\n`), png(2, 2)]),
    );
    expect(truncated).toMatchObject({ status: 400, body: { success: false, error: { code: 'BAD_REQUEST' } } });
    const response = await fetch(t.url + messagesPath(), {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'multipart/form-data' },
      body: 'no boundary',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ success: false, error: { code: 'BAD_REQUEST' } });
    await expectNothingLeft(t, before);
  });

  it('keeps nothing of an upload the client abandons halfway', async () => {
    const before = await storedState(t);
    const boundary = 'parley-boundary';
    const body = Buffer.concat([
      part(boundary, 'content', 'abandoned'),
      part(boundary, 'attachments[0]', Buffer.alloc(MAX_FILE - 1024, 7), { filename: 'half.bin', type: 'application/octet-stream' }),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    expect(await postRaw(owner.token, body, { abort: true })).toBe('aborted');
    await expectNothingLeft(t, before);
  });

  it('downloads as documented in OpenAPI: 200, 206, 304, 416 and 404 with their headers and bodies', async () => {
    const sent = await send(owner.token, [{ name: 'doc.pdf', type: 'application/pdf', data: pdf() }], { content: 'doc' });
    const { url, size } = sent.body.attachments[0] as { url: string; size: number };
    const get = async (headers: Record<string, string>, path = url) => {
      const response = await rest(t.url, 'GET', path, { token: staff.token, headers });
      openapi.check('GET', '/api/chat/attachments/{attachmentId}', response);
      return response.status;
    };
    expect(await get({})).toBe(200);
    expect(await get({ range: 'bytes=0-9' })).toBe(206);
    const etag = (await fetch(t.url + url, { method: 'HEAD', headers: { authorization: `Bearer ${staff.token}` } })).headers.get('etag')!;
    expect(await get({ 'if-none-match': etag })).toBe(304);
    expect(await get({ range: `bytes=${size}-` })).toBe(416);
    expect(await get({}, '/api/chat/attachments/00000000-0000-4000-8000-000000000000')).toBe(404);
  });

  it('rate limits the download route like every chat API route (RateLimit headers)', async () => {
    const sent = await send(owner.token, [{ name: 'r.png', type: 'image/png', data: png(3, 3) }], { content: 'rl' });
    const first = await fetch(t.url + sent.body.attachments[0].url, { headers: { authorization: `Bearer ${owner.token}` } });
    await first.arrayBuffer();
    const second = await fetch(t.url + sent.body.attachments[0].url, { headers: { authorization: `Bearer ${owner.token}` } });
    await second.arrayBuffer();
    const remaining = (response: Response) => Number(/remaining=(\d+)/.exec(response.headers.get('ratelimit') ?? '')?.[1]);
    expect(first.headers.get('ratelimit-policy')).toMatch(/^\d+;w=\d+$/);
    expect(remaining(second)).toBe(remaining(first) - 1);
  });
});
