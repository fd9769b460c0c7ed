import { UserRole } from '../src/shared/enums.js';
import { CreateRoomDocument, SendMessageDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { type Actor, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { rawRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const LIST = '/api/chat/rooms/{chat_room_id}/messages/';

/** The rooms dialect's next/previous links are absolute (seed 004) but never built on a Host the server does not trust. */
describe('absolute links come from PUBLIC_URL or an allowed Host, never from an arbitrary Host header', () => {
  async function roomWithTwoMessages(t: TestServer): Promise<{ owner: Actor; roomId: string }> {
    const admin = await loginAdmin(t);
    const owner = await userWithRole(t, admin, UserRole.USER);
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'links', memberIds: [] }, owner.token);
    for (const content of ['one', 'two']) await ok(t.graphqlUrl, SendMessageDocument, { sessionId: createRoom.id, content }, owner.token);
    return { owner, roomId: createRoom.id };
  }

  /** GET page 1 of size 1 with the given Host header (over a raw socket: fetch will not send a bad one). */
  async function firstPage(t: TestServer, roomId: string, token: string, host: string) {
    const response = await rawRequest(t.url, `GET ${LIST.replace('{chat_room_id}', roomId)}?page_size=1 HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    return response as { status: number; body: { next: string | null; previous: string | null } };
  }

  describe('without PUBLIC_URL', () => {
    let t: TestServer;
    let owner: Actor;
    let roomId: string;
    beforeAll(async () => {
      t = await startTestServer({ env: { ALLOWED_HOSTS: 'chat.example.com,localhost' } });
      ({ owner, roomId } = await roomWithTwoMessages(t));
    });
    afterAll(() => t.dispose());

    it.each(['[', 'evil.example', 'evil.example:443', 'chat.example.com.evil.example', 'chat.example.com@evil.example', ''])('answers Host %j with a root-relative next link', async (host) => {
      const page = await firstPage(t, roomId, owner.token, host);
      expect(page.status).toBe(200);
      expect(page.body.next).toMatch(new RegExp(`^/api/chat/rooms/${roomId}/messages/\\?page_size=1&cursor=`));
    });

    it.each([
      ['chat.example.com', 'http://chat.example.com/'],
      ['CHAT.example.com', 'http://chat.example.com/'],
      ['localhost:8000', 'http://localhost:8000/'],
    ])('builds the link on the allowed Host %j', async (host, prefix) => {
      const page = await firstPage(t, roomId, owner.token, host);
      expect(page.body.next!.startsWith(`${prefix}api/chat/rooms/${roomId}/messages/?`)).toBe(true);
    });
  });

  describe('with PUBLIC_URL', () => {
    let t: TestServer;
    let owner: Actor;
    let roomId: string;
    beforeAll(async () => {
      t = await startTestServer({ env: { PUBLIC_URL: 'https://chat.example.com/parley/' } });
      ({ owner, roomId } = await roomWithTwoMessages(t));
    });
    afterAll(() => t.dispose());

    it.each(['[', 'evil.example', '127.0.0.1'])('builds the link on PUBLIC_URL whatever the Host (%j)', async (host) => {
      const page = await firstPage(t, roomId, owner.token, host);
      expect(page.status).toBe(200);
      expect(page.body.next!.startsWith(`https://chat.example.com/parley/api/chat/rooms/${roomId}/messages/?page_size=1&cursor=`)).toBe(true);
    });
  });
});
