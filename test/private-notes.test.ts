import WebSocket from 'ws';
import { UserRole } from '../src/shared/enums.js';
import { errorCode, gql, ok } from './helpers/client.js';
import { png } from './helpers/files.js';
import { assignedSession, guestSession, loginAdmin, userWithRole, widgetConversation, type Actor } from './helpers/fixtures.js';
import { rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';
import {
  AssignAgentDocument,
  CreateTeamRoomDocument,
  EveryReadPathDocument,
  MarkNoteReadDocument,
  NoteTracesDocument,
  NoteEventsDocument,
  SearchForNotesDocument,
  SendMessageDocument,
  SendNoteDocument,
  SessionIdByRefDocument,
  type NoteEventsSubscription,
} from './generated/graphql.js';

const SECRET = 'internal-only-remark';
const PREFLIGHT = { 'apollo-require-preflight': 'true' };

/**
 * Private notes: staff, admins and bots write them and see them marked; a customer, a
 * guest, a widget visitor never find one, or a trace of one, on any read path: GraphQL queries
 * and counts, every REST dialect, the chat WebSocket, subscriptions (live and replayed), search
 * and attachment downloads.
 */
describe('private notes', () => {
  let t: TestServer;
  let admin: Actor;
  let customer: Actor;
  let staff: Actor;
  let sessionId: string;
  let guest: { token: string; sessionId: string; sessionKey: string };
  let widget: { token: string; conversation: string };
  let widgetSessionId: string;
  let noteAttachmentId: string;

  /** Sends a note with a file through a GraphQL multipart request; the attachment's id. */
  async function noteWithFile(session: string): Promise<string> {
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: 'mutation($s: ID!, $f: [Upload!]) { sendMessage(sessionId: $s, content: "see file", private: true, attachments: $f) { message { attachments { id } } } }',
        variables: { s: session, f: [null] },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.f.0'] }));
    form.append('0', new Blob([png(2, 2)], { type: 'image/png' }), 'note.png');
    const response = await fetch(t.graphqlUrl, { method: 'POST', headers: { authorization: `Bearer ${staff.token}`, ...PREFLIGHT }, body: form });
    const body = (await response.json()) as { data: { sendMessage: { message: { attachments: { id: string }[] } } } };
    return body.data.sendMessage.message.attachments[0]!.id;
  }

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    customer = await userWithRole(t, admin, UserRole.USER);
    staff = await userWithRole(t, admin, UserRole.STAFF);
    sessionId = await assignedSession(t, admin, customer, staff);
    guest = await guestSession(t);
    await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: guest.sessionId, agentId: staff.userId }, admin.token);
    widget = await widgetConversation(t);
    widgetSessionId = (await ok(t.graphqlUrl, SessionIdByRefDocument, { id: widget.conversation }, admin.token)).session.id;
    for (const target of [sessionId, guest.sessionId]) {
      await ok(t.graphqlUrl, SendMessageDocument, { sessionId: target, content: 'a public reply' }, staff.token);
      await ok(t.graphqlUrl, SendNoteDocument, { sessionId: target, content: `${SECRET} about this customer`, private: true }, staff.token);
    }
    noteAttachmentId = await noteWithFile(sessionId);
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
  });

  it('staff and admins see the note marked; counts include it for them only', async () => {
    for (const viewer of [staff, admin]) {
      const seen = await ok(t.graphqlUrl, EveryReadPathDocument, { sessionId }, viewer.token);
      const notes = seen.messages.edges.filter((edge) => edge.node.private);
      expect(notes.map((edge) => edge.node.content)).toEqual([`${SECRET} about this customer`, 'see file']);
      expect(seen.messages.totalCount).toBe(seen.messages.edges.length);
      expect(seen.messagesPage.items.filter((item) => item.private)).toHaveLength(2);
      expect(seen.messagesSince.filter((item) => item.private)).toHaveLength(2);
    }
  });

  it('customers and guests find no note and no trace of one in GraphQL, search or downloads', async () => {
    for (const [viewer, session] of [
      [customer.token, sessionId],
      [guest.token, guest.sessionId],
    ] as const) {
      const seen = await ok(t.graphqlUrl, EveryReadPathDocument, { sessionId: session }, viewer);
      const text = JSON.stringify(seen);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('see file');
      expect(text).not.toContain('"private":true');
      // The counts leave the notes out too: one public reply each.
      expect(seen.messages.totalCount).toBe(seen.messages.edges.length);
      expect(seen.messagesPage.totalCount).toBe(seen.messagesPage.items.length);
      const { searchMessages } = await ok(t.graphqlUrl, SearchForNotesDocument, { query: SECRET }, viewer);
      expect(searchMessages.edges).toEqual([]);
    }
    // The note's file is as missing as a file that never existed.
    const download = await fetch(`${t.url}/api/chat/attachments/${noteAttachmentId}`, { headers: { authorization: `Bearer ${customer.token}` } });
    expect(download.status).toBe(404);
    const staffDownload = await fetch(`${t.url}/api/chat/attachments/${noteAttachmentId}`, { headers: { authorization: `Bearer ${staff.token}` } });
    expect(staffDownload.status).toBe(200);
  });

  it('unread counts, unread totals and session counters of customers, guests and widget visitors leave notes out', async () => {
    const viewers = [
      { name: 'customer', token: customer.token, session: sessionId, writer: staff.token },
      { name: 'guest', token: guest.token, session: guest.sessionId, writer: staff.token },
      { name: 'widget visitor', token: widget.token, session: widgetSessionId, writer: admin.token },
    ];
    for (const viewer of viewers) {
      const before = await ok(t.graphqlUrl, NoteTracesDocument, { sessionId: viewer.session }, viewer.token);
      await ok(t.graphqlUrl, SendNoteDocument, { sessionId: viewer.session, content: `${SECRET} counted?`, private: true }, viewer.writer);
      const afterNote = await ok(t.graphqlUrl, NoteTracesDocument, { sessionId: viewer.session }, viewer.token);
      // Nothing moved for them, not even the position they would subscribe from.
      expect([viewer.name, afterNote]).toEqual([viewer.name, before]);
      await ok(t.graphqlUrl, SendMessageDocument, { sessionId: viewer.session, content: 'a public line' }, viewer.writer);
      const afterPublic = await ok(t.graphqlUrl, NoteTracesDocument, { sessionId: viewer.session }, viewer.token);
      expect([viewer.name, afterPublic.session.unreadCount, afterPublic.unread.total]).toEqual([viewer.name, before.session.unreadCount + 1, before.unread.total + 1]);
      expect(afterPublic.session.messageCount).toBe(before.session.messageCount + 1);
    }
  });

  it('marking a note read is refused to a customer as an unknown message', async () => {
    const { messages } = await ok(t.graphqlUrl, EveryReadPathDocument, { sessionId }, staff.token);
    const noteId = messages.edges.find((edge) => edge.node.private)!.node.id;
    const refused = await gql(t.graphqlUrl, MarkNoteReadDocument, { sessionId, messageIds: [noteId] }, customer.token);
    expect(refused.errors?.[0]?.extensions?.reason).toBe('UNKNOWN_MESSAGE');
    // Staff searching find it.
    const { searchMessages } = await ok(t.graphqlUrl, SearchForNotesDocument, { query: SECRET }, staff.token);
    expect(searchMessages.edges.length).toBeGreaterThan(0);
  });

  it('no REST dialect shows a note: chat API, v1 guest poll, widget history', async () => {
    const chatApi = await rest(t.url, 'GET', `/api/chat/sessions/${sessionId}/messages`, { token: customer.token });
    expect(chatApi.status).toBe(200);
    expect(JSON.stringify(chatApi.body)).not.toContain(SECRET);
    expect(chatApi.body.totalCount).toBe(chatApi.body.messages.length);

    const v1 = await rest(t.url, 'GET', `/api/v1/chat/guest/session/${guest.sessionKey}/messages`, { token: guest.token });
    expect(v1.status).toBe(200);
    expect(JSON.stringify(v1.body)).not.toContain(SECRET);

    // The widget's conversation: an admin (who may note any support session) writes a note in it.
    await ok(t.graphqlUrl, SendNoteDocument, { sessionId: widgetSessionId, content: `${SECRET} on the widget`, private: true }, admin.token);
    const history = await rest(t.url, 'GET', `/widget/conversations/${widget.conversation}/messages`, { token: widget.token });
    expect(history.status).toBe(200);
    expect(JSON.stringify(history.body)).not.toContain(SECRET);
  });

  it('subscriptions and the chat WebSocket never deliver a note, live or replayed, while staff get it live', async () => {
    const customerClient = wsClient(t.url, customer.token);
    const staffClient = wsClient(t.url, staff.token);
    const legacy = new WebSocket(`${t.url.replace(/^http/, 'ws')}/ws/chat/${sessionId}?token=${customer.token}`);
    const legacyFrames: string[] = [];
    legacy.on('message', (data) => legacyFrames.push(String(data)));
    try {
      await new Promise((resolve, reject) => {
        legacy.once('open', resolve);
        legacy.once('error', reject);
      });
      const customerEvents = subscribe(customerClient, NoteEventsDocument, { sessionId, since: '0' });
      const staffEvents = subscribe(staffClient, NoteEventsDocument, { sessionId, since: '0' });
      await ok(t.graphqlUrl, SendNoteDocument, { sessionId, content: `${SECRET} live`, private: true }, staff.token);
      const { sendMessage } = await ok(t.graphqlUrl, SendMessageDocument, { sessionId, content: 'public after the note' }, staff.token);
      const lastPublic = sendMessage.message.id;
      const isLast = (item: NoteEventsSubscription) => item.sessionEvents.__typename === 'MessageEvent' && item.sessionEvents.message.id === lastPublic;
      const seenByCustomer = await customerEvents.until((items) => items.some(isLast), 'the public message');
      const seenByStaff = await staffEvents.until((items) => items.some(isLast), 'the public message');
      customerEvents.stop();
      staffEvents.stop();
      expect(JSON.stringify(seenByCustomer)).not.toContain(SECRET);
      expect(JSON.stringify(seenByStaff)).toContain(`${SECRET} live`);
      // The legacy socket got the public message and nothing of the note.
      const deadline = Date.now() + 5000;
      while (!legacyFrames.some((frame) => frame.includes('public after the note')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(legacyFrames.some((frame) => frame.includes('public after the note'))).toBe(true);
      expect(legacyFrames.join('\n')).not.toContain(SECRET);
    } finally {
      legacy.close();
      await customerClient.dispose();
      await staffClient.dispose();
    }
  }, 30_000);

  it('only staff, admins and bots may write a note, and only in support sessions', async () => {
    expect(await errorCode(t.graphqlUrl, SendNoteDocument, { sessionId, content: 'mine', private: true }, customer.token)).toBe('FORBIDDEN');
    expect(await errorCode(t.graphqlUrl, SendNoteDocument, { sessionId: guest.sessionId, content: 'mine', private: true }, guest.token)).toBe('FORBIDDEN');
    const { createRoom } = await ok(t.graphqlUrl, CreateTeamRoomDocument, {}, staff.token);
    const inRoom = await gql(t.graphqlUrl, SendNoteDocument, { sessionId: createRoom.id, content: 'x', private: true }, staff.token);
    expect(inRoom.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NOTES_SUPPORT_ONLY' });
  });
});
