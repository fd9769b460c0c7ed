import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { print } from 'graphql';
import { UserRole } from '../src/shared/enums.js';
import { MessageAttachmentsDocument, SendWithAttachmentsDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { eventually, expectNothingLeft, filesUnder, openCapacitorFiles, pdf, png, sha256, storedState, wav } from './helpers/files.js';
import { type Actor, assignedSession, foreignTenantAdmin, guestSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Small limits, so every limit can be crossed with small real files. */
const MAX_FILE = 64 * 1024;
const MAX_FILES = 3;
const MAX_REQUEST = 160 * 1024;

interface FilePart {
  name: string;
  type: string;
  data: Uint8Array;
}

interface UploadedAttachment {
  id: string;
  url: string;
  type: string;
  name: string;
  size: number;
  metadata: { width: number | null; height: number | null; duration: number | null };
}

interface UploadReply {
  status: number;
  body: {
    data?: { sendMessage: { created: boolean; message: { id: string; content: string; attachments: UploadedAttachment[] } } } | null;
    errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
  };
}

const PREFLIGHT = { 'apollo-require-preflight': 'true' };

/** The operations and map fields of the GraphQL multipart request spec. */
function operationsAndMap(sessionId: string, content: string, count: number, clientMessageId?: string) {
  return {
    operations: JSON.stringify({
      query: print(SendWithAttachmentsDocument),
      variables: { sessionId, content, clientMessageId, attachments: Array.from({ length: count }, () => null) },
    }),
    map: JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [String(i), [`variables.attachments.${i}`]]))),
  };
}

describe('attachments', () => {
  let t: TestServer;
  let admin: Actor;
  let owner: Actor;
  let staff: Actor;
  let otherUser: Actor;
  let sessionId: string;
  let storageDir: string;

  beforeAll(async () => {
    t = await startTestServer({
      env: { UPLOAD_MAX_FILE_BYTES: String(MAX_FILE), UPLOAD_MAX_FILES: String(MAX_FILES), UPLOAD_MAX_REQUEST_BYTES: String(MAX_REQUEST) },
    });
    storageDir = join(t.dataDir, 'attachments');
    admin = await loginAdmin(t);
    owner = await userWithRole(t, admin, UserRole.USER);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    otherUser = await userWithRole(t, admin, UserRole.USER);
    sessionId = await assignedSession(t, admin, owner, staff);
  });
  afterAll(() => t.dispose());

  async function send(token: string, files: FilePart[], options: { content?: string; headers?: Record<string, string>; session?: string; clientMessageId?: string } = {}): Promise<UploadReply> {
    const form = new FormData();
    const { operations, map } = operationsAndMap(options.session ?? sessionId, options.content ?? 'files', files.length, options.clientMessageId);
    form.append('operations', operations);
    form.append('map', map);
    for (const [i, file] of files.entries()) form.append(String(i), new Blob([file.data], { type: file.type }), file.name);
    const response = await fetch(t.graphqlUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...(options.headers ?? PREFLIGHT) },
      body: form,
    });
    return { status: response.status, body: (await response.json()) as UploadReply['body'] };
  }

  /** A multipart request written by hand with node:http, chunked (no Content-Length), in 16 KiB writes. */
  async function postMultipart(token: string, content: string, files: { disposition: string; type: string; data: Buffer }[]) {
    const boundary = 'parley-boundary';
    const { operations, map } = operationsAndMap(sessionId, content, files.length);
    const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const body = Buffer.concat([
      Buffer.from(field('operations', operations) + field('map', map)),
      ...files.flatMap((file, i) => [
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${i}"; ${file.disposition}\r\nContent-Type: ${file.type}\r\n\r\n`),
        file.data,
        Buffer.from('\r\n'),
      ]),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    return new Promise<UploadReply>((resolve, reject) => {
      const req = httpRequest(t.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${token}`, ...PREFLIGHT },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      });
      req.on('error', reject);
      for (let offset = 0; offset < body.length; offset += 16 * 1024) req.write(body.subarray(offset, offset + 16 * 1024));
      req.end();
    });
  }

  async function download(id: string, token?: string, headers: Record<string, string> = {}) {
    return fetch(`${t.url}/api/chat/attachments/${id}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  }

  describe('sending and downloading', () => {
    const image = png(37, 21);
    const document = pdf();
    const audio = wav(1.5);
    let sent: UploadedAttachment[];

    beforeAll(async () => {
      const reply = await send(owner.token, [
        { name: 'photo.png', type: 'image/png', data: image },
        { name: 'résumé 2024.pdf', type: 'application/pdf', data: document },
        { name: 'voice.wav', type: 'audio/wav', data: audio },
      ]);
      expect(reply.body.errors).toBeUndefined();
      sent = reply.body.data!.sendMessage.message.attachments;
    });

    it('returns the attachments in order with sniffed types, sizes and metadata', () => {
      expect(sent.map(({ id: _id, url: _url, ...rest }) => rest)).toEqual([
        { name: 'photo.png', type: 'image/png', size: image.length, metadata: { width: 37, height: 21, duration: null } },
        { name: 'résumé 2024.pdf', type: 'application/pdf', size: document.length, metadata: { width: null, height: null, duration: null } },
        { name: 'voice.wav', type: 'audio/wav', size: audio.length, metadata: { width: null, height: null, duration: 1.5 } },
      ]);
      for (const attachment of sent) expect(attachment.url).toBe(`/api/chat/attachments/${attachment.id}`);
    });

    it('lists the attachments with the message and puts them in the outbox event', async () => {
      const { messagesPage } = await ok(t.graphqlUrl, MessageAttachmentsDocument, { sessionId }, staff.token);
      const listed = messagesPage.items.find((item) => item.attachments.length === 3);
      expect(listed?.attachments).toEqual(sent);
      const [event] = await t.server.orm.em
        .fork()
        .getConnection()
        .execute<{ payload: { message: { attachments: UploadedAttachment[] } } }[]>(
          `select payload from session_events where type = 'message.created' and payload->'message'->>'id' = '${listed!.id}'`,
        );
      expect(event!.payload.message.attachments).toEqual(sent);
    });

    it('downloads identical bytes with the stored type, length, disposition, nosniff and ETag', async () => {
      const originals = [image, document, audio];
      for (const [index, attachment] of sent.entries()) {
        const response = await download(attachment.id, staff.token);
        expect(response.status).toBe(200);
        const bytes = new Uint8Array(await response.arrayBuffer());
        expect(sha256(bytes)).toBe(sha256(originals[index]!));
        expect(response.headers.get('content-type')).toBe(attachment.type);
        expect(response.headers.get('content-length')).toBe(String(originals[index]!.length));
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('etag')).toBe(`"${sha256(originals[index]!)}"`);
        expect(response.headers.get('accept-ranges')).toBe('bytes');
      }
      const named = await download(sent[1]!.id, owner.token);
      await named.arrayBuffer();
      expect(named.headers.get('content-disposition')).toBe(`attachment; filename="r_sum_ 2024.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf`);
    });

    it('answers a matching If-None-Match with 304 and no body', async () => {
      const etag = `"${sha256(image)}"`;
      const response = await download(sent[0]!.id, owner.token, { 'if-none-match': `"other", ${etag}` });
      expect(response.status).toBe(304);
      expect(response.headers.get('etag')).toBe(etag);
      expect((await response.arrayBuffer()).byteLength).toBe(0);
      const changed = await download(sent[0]!.id, owner.token, { 'if-none-match': '"other"' });
      expect(changed.status).toBe(200);
      await changed.arrayBuffer();
    });

    it('serves a single byte range with 206 and Content-Range, and 416 past the end', async () => {
      const size = document.length;
      const middle = await download(sent[1]!.id, owner.token, { range: 'bytes=5-24' });
      expect(middle.status).toBe(206);
      expect(middle.headers.get('content-range')).toBe(`bytes 5-24/${size}`);
      expect(middle.headers.get('content-length')).toBe('20');
      expect(Buffer.from(await middle.arrayBuffer())).toEqual(document.subarray(5, 25));

      const suffix = await download(sent[1]!.id, owner.token, { range: 'bytes=-10' });
      expect(suffix.status).toBe(206);
      expect(Buffer.from(await suffix.arrayBuffer())).toEqual(document.subarray(size - 10));

      const open = await download(sent[1]!.id, owner.token, { range: `bytes=${size - 3}-` });
      expect(Buffer.from(await open.arrayBuffer())).toEqual(document.subarray(size - 3));

      const stale = await download(sent[1]!.id, owner.token, { range: 'bytes=0-9', 'if-range': '"stale"' });
      expect(stale.status).toBe(200);
      expect(Buffer.from(await stale.arrayBuffer())).toEqual(document);

      const past = await download(sent[1]!.id, owner.token, { range: `bytes=${size}-` });
      expect(past.status).toBe(416);
      expect(past.headers.get('content-range')).toBe(`bytes */${size}`);
      expect(await past.json()).toMatchObject({ success: false, error: { code: 'RANGE_NOT_SATISFIABLE' } });
    });

    it('refuses same-tenant callers without access with 403 (seed 001), and gives other tenants exactly the answer for an id that does not exist', async () => {
      const missing = await download('00000000-0000-4000-8000-000000000000', admin.token);
      expect(missing.status).toBe(404);
      const missingBody = await missing.json();
      expect(missingBody).toEqual({ success: false, message: 'Attachment not found', error: { code: 'NOT_FOUND', message: 'Attachment not found' } });

      const unassigned = await userWithRole(t, admin, UserRole.STAFF);
      const guest = await guestSession(t);
      const foreign = await foreignTenantAdmin(t);
      for (const token of [otherUser.token, unassigned.token, guest.token]) {
        const response = await download(sent[0]!.id, token);
        expect(response.status).toBe(403);
        expect(await response.json()).toMatchObject({ success: false, error: { code: 'FORBIDDEN' } });
      }
      const response = await download(sent[0]!.id, foreign.token);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual(missingBody);
      const malformed = await download('not-a-uuid', admin.token);
      expect(malformed.status).toBe(404);
      expect(await malformed.json()).toEqual(missingBody);

      const admitted = await download(sent[0]!.id, admin.token);
      expect(admitted.status).toBe(200);
      await admitted.arrayBuffer();
    });

    it('answers 401 in the chat API error body without a valid token', async () => {
      for (const token of [undefined, 'not-a-token']) {
        const response = await download(sent[0]!.id, token);
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } });
      }
    });

    it('stores files under server-generated keys, never under the client name', () => {
      const stored = filesUnder(storageDir);
      expect(stored.length).toBeGreaterThanOrEqual(3);
      for (const path of stored) expect(path).toMatch(/^\d+\/[0-9a-f]{2}\/[0-9a-f]{32}$/);
    });
  });

  it('lets a guest send into its own session and download what it sent, like its agent', async () => {
    const guest = await guestSession(t);
    const image = png(16, 9);
    const reply = await send(guest.token, [{ name: 'screenshot.png', type: 'image/png', data: image }], { session: guest.sessionId });
    const [attachment] = reply.body.data!.sendMessage.message.attachments;
    expect(attachment).toMatchObject({ type: 'image/png', metadata: { width: 16, height: 9 } });
    for (const token of [guest.token, admin.token]) {
      const response = await download(attachment!.id, token);
      expect(response.status).toBe(200);
      expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(image));
    }
    const stranger = await download(attachment!.id, owner.token);
    expect(stranger.status).toBe(403);
    await stranger.arrayBuffer();
  });

  it('answers HEAD with the headers and no body', async () => {
    const image = png(2, 2);
    const reply = await send(owner.token, [{ name: 'tiny.png', type: 'image/png', data: image }]);
    const id = reply.body.data!.sendMessage.message.attachments[0]!.id;
    const response = await fetch(`${t.url}/api/chat/attachments/${id}`, { method: 'HEAD', headers: { authorization: `Bearer ${owner.token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(image.length));
    expect(response.headers.get('content-type')).toBe('image/png');
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it('returns the original message and stores nothing new when a clientMessageId is retried', async () => {
    const first = await send(owner.token, [{ name: 'a.png', type: 'image/png', data: png(4, 4) }], { clientMessageId: 'retry-1' });
    expect(first.body.data?.sendMessage.created).toBe(true);
    const before = await storedState(t);
    const again = await send(owner.token, [{ name: 'b.png', type: 'image/png', data: png(5, 5) }], { clientMessageId: 'retry-1' });
    expect(again.body.data?.sendMessage).toMatchObject({ created: false, message: { id: first.body.data!.sendMessage.message.id } });
    expect(again.body.data?.sendMessage.message.attachments.map((a) => a.name)).toEqual(['a.png']);
    await expectNothingLeft(t, before);
  });

  it('accepts attachments with blank content, and plain UTF-8 text as text/plain', async () => {
    const reply = await send(owner.token, [{ name: 'notes.txt', type: 'application/octet-stream', data: Buffer.from('Příliš žluťoučký kůň\n') }], { content: '' });
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data?.sendMessage.message).toMatchObject({ content: '', attachments: [{ name: 'notes.txt', type: 'text/plain' }] });
    const response = await download(reply.body.data!.sendMessage.message.attachments[0]!.id, owner.token);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe('Příliš žluťoučký kůň\n');
  });

  describe('refusals leave no message, no row, no file and no temporary file', () => {
    const small = () => ({ name: 'ok.png', type: 'image/png', data: png(8, 8) });

    it('refuses a file over the per-file limit while it streams', async () => {
      const before = await storedState(t);
      const big = Buffer.concat([pdf(), Buffer.alloc(MAX_FILE)]);
      const reply = await send(owner.token, [small(), { name: 'big.pdf', type: 'application/pdf', data: big }]);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'FILE_TOO_LARGE' });
      expect(reply.body.errors?.[0]?.message).toMatch(`larger than ${MAX_FILE} bytes`);
      await expectNothingLeft(t, before);
    });

    it('refuses more files than allowed before reading them', async () => {
      const before = await storedState(t);
      const reply = await send(owner.token, [small(), small(), small(), small()]);
      expect(reply.status).toBe(413);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_FILES' });
      await expectNothingLeft(t, before);
    });

    it('refuses a request whose declared length is over the request limit', async () => {
      const before = await storedState(t);
      const near = () => ({ name: 'near.pdf', type: 'application/pdf', data: Buffer.concat([pdf(), Buffer.alloc(MAX_FILE - 2048)]) });
      const reply = await send(owner.token, [near(), near(), near()]);
      expect(reply.status).toBe(413);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'REQUEST_TOO_LARGE' });
      await expectNothingLeft(t, before);
    });

    it('stops a chunked request body (no Content-Length) when it grows past the request limit', async () => {
      const before = await storedState(t);
      const file = Buffer.concat([pdf(), Buffer.alloc(MAX_FILE - 2048)]);
      const parts = [0, 1, 2].map((i) => ({ disposition: `filename="f${i}.pdf"`, type: 'application/pdf', data: file }));
      const reply = await postMultipart(owner.token, 'chunked', parts);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'REQUEST_TOO_LARGE' });
      await expectNothingLeft(t, before);
    });

    it('stops a chunked request whose fields alone outgrow the request limit, before any file', async () => {
      const before = await storedState(t);
      const reply = await postMultipart(owner.token, 'x'.repeat(MAX_REQUEST), [{ disposition: 'filename="a.png"', type: 'image/png', data: png(3, 3) }]);
      expect(reply.status).toBe(413);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'REQUEST_TOO_LARGE' });
      await expectNothingLeft(t, before);
    });

    it('removes the stored files when the database refuses the rows', async () => {
      const connection = t.server.orm.em.fork().getConnection();
      await connection.execute(`alter table attachments add constraint refuse_all check (size < 0) not valid`);
      try {
        const before = await storedState(t);
        const reply = await send(owner.token, [small(), small()]);
        expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
        await expectNothingLeft(t, before);
      } finally {
        await connection.execute(`alter table attachments drop constraint refuse_all`);
      }
    });

    it('refuses a multipart request without the CSRF preflight header before streaming it', async () => {
      const before = await storedState(t);
      const reply = await send(owner.token, [small()], { headers: {} });
      expect(reply.status).toBe(400);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CSRF_PREFLIGHT_REQUIRED' });
      await expectNothingLeft(t, before);
    });

    it('refuses HTML renamed to .png and sent as image/png: the bytes decide', async () => {
      const before = await storedState(t);
      const html = Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>');
      const reply = await send(owner.token, [small(), { name: 'cat.png', type: 'image/png', data: html }]);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNSUPPORTED_TYPE' });
      expect(reply.body.errors?.[0]?.message).toMatch(/text\/html/);
      await expectNothingLeft(t, before);
    });

    it.each([
      ['an executable named .pdf', 'tool.pdf', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]), 'UNSUPPORTED_TYPE'],
      ['unrecognised binary', 'blob.png', Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0]), 'UNSUPPORTED_TYPE'],
      ['an empty file', 'empty.png', Buffer.alloc(0), 'EMPTY_FILE'],
    ])('refuses %s', async (_what, name, data, reason) => {
      const before = await storedState(t);
      const reply = await send(owner.token, [{ name, type: 'application/pdf', data }]);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason });
      await expectNothingLeft(t, before);
    });

    it.each([
      ['a NUL byte', 'photo.png%00.exe'],
      ['a control character', 'photo%07.png'],
      ['a right-to-left override', 'invoice%E2%80%AEgnp.exe'],
    ])('refuses a file name with %s', async (_what, encoded) => {
      const before = await storedState(t);
      // RFC 8187 `filename*` carries any character; the multipart parser decodes it for us.
      const reply = await postMultipart(owner.token, 'hostile', [{ disposition: `filename*=UTF-8''${encoded}`, type: 'image/png', data: png(3, 3) }]);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_FILE_NAME' });
      await expectNothingLeft(t, before);
    });

    it('refuses a raw NUL byte in a part header as a malformed request', async () => {
      const before = await storedState(t);
      const reply = await send(owner.token, [{ name: 'photo.png\u0000.exe', type: 'image/png', data: png(3, 3) }]);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_MULTIPART' });
      await expectNothingLeft(t, before);
    });

    it.each(['../../etc/passwd', '..\\..\\boot.ini', '/..', 'photos/cat.png'])('refuses the path-like name %s, storing nothing', async (name) => {
      const before = await storedState(t);
      const reply = await send(owner.token, [small(), { name, type: 'image/png', data: png(3, 3) }]);
      expect(reply.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_FILE_NAME' });
      expect(reply.body.errors?.[0]?.message).toMatch(/directory parts/);
      await expectNothingLeft(t, before);
    });

    it('keeps right-to-left letters in honest names', async () => {
      const reply = await send(owner.token, [{ name: 'صورة.png', type: 'image/png', data: png(3, 3) }]);
      expect(reply.body.data?.sendMessage.message.attachments[0]?.name).toBe('صورة.png');
    });

    it('refuses uploads from someone who may not write in the session, storing nothing', async () => {
      const before = await storedState(t);
      const reply = await send(otherUser.token, [small()]);
      expect(reply.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      await expectNothingLeft(t, before);
    });

    it('refuses a map that reaches a prototype or reads one file twice, storing nothing', async () => {
      const before = await storedState(t);
      const post = async (map: Record<string, string[]>, count: number) => {
        const form = new FormData();
        form.append('operations', operationsAndMap(sessionId, 'odd map', count).operations);
        form.append('map', JSON.stringify(map));
        form.append('0', new Blob([png(3, 3)], { type: 'image/png' }), 'a.png');
        const response = await fetch(t.graphqlUrl, { method: 'POST', headers: { authorization: `Bearer ${owner.token}`, ...PREFLIGHT }, body: form });
        return { status: response.status, body: (await response.json()) as UploadReply['body'] };
      };
      const polluting = await post({ 0: ['variables.__proto__.polluted'] }, 1);
      expect(polluting.status).toBe(400);
      expect(polluting.body.errors?.[0]?.extensions?.reason).toBe('INVALID_MULTIPART');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // Files stream straight from the request, so a file can be read once: mapping it to two variables is refused.
      const twice = await post({ 0: ['variables.attachments.0', 'variables.attachments.1'] }, 2);
      expect(twice.body.errors?.[0]?.extensions?.reason).toBe('INVALID_MULTIPART');
      expect(twice.body.errors?.[0]?.message).toMatch(/can be read once/);
      await expectNothingLeft(t, before);
    });

    it('cleans up after a client that disconnects in the middle of a file', async () => {
      const before = await storedState(t);
      const boundary = 'parley-abort';
      const { operations, map } = operationsAndMap(sessionId, 'aborted', 1);
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n${map}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="half.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
      );
      const req = httpRequest(t.graphqlUrl, {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + 60_000),
          authorization: `Bearer ${owner.token}`,
          ...PREFLIGHT,
        },
      });
      req.on('error', () => undefined);
      req.write(head);
      req.write(Buffer.concat([pdf(), Buffer.alloc(20_000)]));
      // The server is now writing the file into its staging area; hang up half way.
      await eventually(() => filesUnder(join(storageDir, '.staging')).length > 0, 'the upload reached the staging area');
      // Straight there: no temporary copy of the bytes anywhere else (each byte is written once).
      expect(openCapacitorFiles()).toEqual([]);
      req.destroy();
      await expectNothingLeft(t, before);
    });
  });
});
