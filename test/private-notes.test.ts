import WebSocket from 'ws';
import { BACKFILL_MARKS_ON_NOTES } from '../src/db/migrations/Migration20261207190000_marks_on_notes.js';
import { UserRole } from '../src/shared/enums.js';
import {
  AssignAgentDocument,
  CreateTeamRoomDocument,
  EveryReadPathDocument,
  MarkNoteReadDocument,
  MarkReadStateDocument,
  NoteEventsDocument,
  type NoteEventsSubscription,
  NoteLastMessageDocument,
  NoteLastMessagesDocument,
  NoteMarkEventsDocument,
  type NoteMarkEventsSubscription,
  NoteTracesDocument,
  SearchForNotesDocument,
  SendMessageDocument,
  SendNoteDocument,
  SessionIdByRefDocument,
} from './generated/graphql.js';
import { errorCode, gql, ok } from './helpers/client.js';
import { png } from './helpers/files.js';
import { type Actor, assignedSession, guestSession, loginAdmin, userWithRole, widgetConversation } from './helpers/fixtures.js';
import { rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { subscribe, wsClient } from './helpers/subscriptions.js';

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

  /** Sends a message (a note when `isPrivate`) as `token`; its id. */
  async function sendTo(session: string, content: string, token: string, isPrivate = false): Promise<string> {
    return (await ok(t.graphqlUrl, SendNoteDocument, { sessionId: session, content, private: isPrivate }, token)).sendMessage.message.id;
  }

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
    const legacy = await legacyChat(t.url, sessionId, customer.token);
    try {
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
      await legacy.until((frame) => frame.includes('public after the note'), 'the public message');
      expect(legacy.frames.join('\n')).not.toContain(SECRET);
    } finally {
      legacy.close();
      await customerClient.dispose();
      await staffClient.dispose();
    }
  }, 30_000);

  it('a read or delivery mark on a note reaches a customer as the last message they can see, or not at all: live, replayed, in lastEventId and on the chat WebSocket', async () => {
    const session = await assignedSession(t, admin, customer, staff);
    const send = (content: string, token: string, isPrivate = false) => sendTo(session, content, token, isPrivate);
    const position = async () => (await ok(t.graphqlUrl, NoteTracesDocument, { sessionId: session }, customer.token)).session.lastEventId;
    await send('hello', staff.token);
    const question = await send('a question', customer.token);
    const start = await position();
    const customerClient = wsClient(t.url, customer.token);
    const staffClient = wsClient(t.url, staff.token);
    const legacy = await legacyChat(t.url, session, customer.token, start);
    try {
      const customerLive = subscribe(customerClient, NoteMarkEventsDocument, { sessionId: session, since: start });
      const staffLive = subscribe(staffClient, NoteMarkEventsDocument, { sessionId: session, since: start });
      const marks = (items: NoteMarkEventsSubscription[]) => items.flatMap(({ sessionEvents: e }) => (e.__typename === 'ReadEvent' ? [`${e.type} ${e.messageId} by ${e.participantId}`] : []));
      const staffSees = (mark: string) => staffLive.until((items) => marks(items).some((m) => m.startsWith(mark)), mark, 15_000);

      // The agent's stream delivers an admin's note: the agent's delivered mark moves from their
      // greeting past the customer's question onto the note, so the customer sees the question delivered.
      const note1 = await send(`${SECRET} one`, admin.token, true);
      await staffSees(`DELIVERY_UPDATED ${note1}`);
      // The agent's read mark on the note covers the question too.
      const { markRead: staffRead } = await ok(t.graphqlUrl, MarkReadStateDocument, { sessionId: session, messageIds: [note1] }, staff.token);
      const agent = staffRead.participantId;
      const note2 = await send(`${SECRET} two`, admin.token, true);
      await staffSees(`DELIVERY_UPDATED ${note2}`);
      const beforeMark = await position();
      // From one note to the next, over nothing the customer can see: not theirs to see, and their position stays.
      await ok(t.graphqlUrl, MarkReadStateDocument, { sessionId: session, messageIds: [note2] }, staff.token);
      await staffSees(`READ_UPDATED ${note2}`);
      const afterMark = await position();
      const answer = await send('an answer', staff.token);

      const isAnswer = (item: NoteMarkEventsSubscription) => item.sessionEvents.__typename === 'MessageEvent' && item.sessionEvents.message.id === answer;
      const live = await customerLive.until((items) => items.some(isAnswer), 'the answer, live', 15_000);
      const seen = (items: NoteMarkEventsSubscription[]) =>
        items.flatMap(({ sessionEvents: e }) =>
          e.__typename === 'ReadEvent' ? [`${e.type} ${e.messageId} by ${e.participantId}`] : e.__typename === 'MessageEvent' ? [`${e.type} ${e.message.id}`] : [],
        );
      const expected = [`DELIVERY_UPDATED ${question} by ${agent}`, `READ_UPDATED ${question} by ${agent}`, `MESSAGE_CREATED ${answer}`];
      expect(seen(live).slice(0, 3)).toEqual(expected);
      // The customer stood, before the answer, at the last event they saw: the agent's mark on the question.
      const ids = live.map(({ sessionEvents: e }) => ('id' in e ? e.id : null));
      expect([beforeMark, afterMark]).toEqual([ids[1], ids[1]]);
      // Staff see every mark where it is.
      expect(marks(staffLive.items).filter((m) => m.endsWith(` by ${agent}`))).toEqual([
        `DELIVERY_UPDATED ${note1} by ${agent}`,
        `READ_UPDATED ${note1} by ${agent}`,
        `DELIVERY_UPDATED ${note2} by ${agent}`,
        `READ_UPDATED ${note2} by ${agent}`,
      ]);

      // Replayed from the same position: the same events, the same ids.
      const replay = subscribe(customerClient, NoteMarkEventsDocument, { sessionId: session, since: start });
      const replayed = await replay.until((items) => items.some(isAnswer), 'the answer, replayed', 15_000);
      replay.stop();
      expect(seen(replayed).slice(0, 3)).toEqual(expected);
      expect(replayed.slice(0, 3)).toEqual(live.slice(0, 3));
      customerLive.stop();
      staffLive.stop();
      expect(JSON.stringify(live)).not.toContain(note1);
      expect(JSON.stringify(live)).not.toContain(note2);

      // The chat WebSocket: the answer, and no frame whose id the customer's stream did not have.
      const frameId = (frame: string) => (JSON.parse(frame) as { id?: string }).id;
      await legacy.until((frame) => frameId(frame) === ids[2], 'the answer');
      expect(legacy.frames.map(frameId).every((id) => id === undefined || ids.includes(id))).toBe(true);
    } finally {
      legacy.close();
      await customerClient.dispose();
      await staffClient.dispose();
    }
  }, 60_000);

  it('marks on notes stored without what customers see of them are backfilled by the migration: replay and lastEventId then leave them out', async () => {
    const session = await assignedSession(t, admin, customer, staff);
    const position = async () => (await ok(t.graphqlUrl, NoteTracesDocument, { sessionId: session }, customer.token)).session.lastEventId;
    await sendTo(session, 'hello', staff.token);
    const question = await sendTo(session, 'a question', customer.token);
    const start = await position();
    const read = async (messageId: string) => (await ok(t.graphqlUrl, MarkReadStateDocument, { sessionId: session, messageIds: [messageId] }, staff.token)).markRead;
    const { participantId: agent } = await read(await sendTo(session, `${SECRET} one`, admin.token, true));
    await read(await sendTo(session, `${SECRET} two`, admin.token, true));
    // The events as they were stored before marks on notes recorded visibleMessageId.
    const connection = t.server.orm.em.getConnection();
    await connection.execute(`update session_events set payload = payload - 'visibleMessageId' where session_id = ?`, [session]);
    for (const sql of BACKFILL_MARKS_ON_NOTES) await connection.execute(sql);
    const backfilled = await position();
    const answer = await sendTo(session, 'an answer', staff.token);

    const client = wsClient(t.url, customer.token);
    try {
      const replay = subscribe(client, NoteMarkEventsDocument, { sessionId: session, since: start });
      const replayed = await replay.until((items) => items.some(({ sessionEvents: e }) => e.__typename === 'MessageEvent' && e.message.id === answer), 'the answer', 15_000);
      replay.stop();
      const seen = replayed.map(({ sessionEvents: e }) =>
        e.__typename === 'ReadEvent' ? `${e.type} ${e.messageId} by ${e.participantId}` : e.__typename === 'MessageEvent' ? `${e.type} ${e.message.id}` : e.__typename,
      );
      expect(seen.slice(0, 2)).toEqual([`READ_UPDATED ${question} by ${agent}`, `MESSAGE_CREATED ${answer}`]);
      expect(backfilled).toBe((replayed[0]!.sessionEvents as { id: string }).id);
    } finally {
      await client.dispose();
    }
  });

  it('Session.lastMessage is the newest note, marked, for staff and admins, and the newest message that is no note for customers and guests, alone and in lists', async () => {
    const session = await assignedSession(t, admin, customer, staff);
    const send = (content: string, isPrivate = false) => sendTo(session, content, staff.token, isPrivate);
    const reply = await send('the latest public reply');
    const note = await send(`${SECRET} latest`, true);
    for (const viewer of [staff, admin]) {
      const seen = await ok(t.graphqlUrl, NoteLastMessageDocument, { sessionId: session }, viewer.token);
      expect(seen.session.lastMessage).toEqual({ id: note, content: `${SECRET} latest`, private: true });
    }
    const seen = await ok(t.graphqlUrl, NoteLastMessageDocument, { sessionId: session }, customer.token);
    expect(seen.session.lastMessage).toEqual({ id: reply, content: 'the latest public reply', private: false });
    const { sessions } = await ok(t.graphqlUrl, NoteLastMessagesDocument, {}, customer.token);
    expect(sessions.items.find((item) => item.id === session)?.lastMessage?.id).toBe(reply);
    expect(sessions.items.length).toBeGreaterThan(1);
    expect(JSON.stringify(sessions)).not.toContain(SECRET);
    // A guest's session that ends with a note: the guest's lastMessage is the newest message they can read.
    await ok(t.graphqlUrl, SendNoteDocument, { sessionId: guest.sessionId, content: `${SECRET} for the guest's agent`, private: true }, staff.token);
    const byGuest = await ok(t.graphqlUrl, NoteLastMessageDocument, { sessionId: guest.sessionId }, guest.token);
    expect(byGuest.session.lastMessage?.id).toBe(byGuest.messages.edges[0]!.node.id);
    expect(JSON.stringify(byGuest)).not.toContain(SECRET);
    const byStaff = await ok(t.graphqlUrl, NoteLastMessageDocument, { sessionId: guest.sessionId }, staff.token);
    expect(byStaff.session.lastMessage?.private).toBe(true);
  });

  it('only staff, admins and bots may write a note, and only in support sessions', async () => {
    expect(await errorCode(t.graphqlUrl, SendNoteDocument, { sessionId, content: 'mine', private: true }, customer.token)).toBe('FORBIDDEN');
    expect(await errorCode(t.graphqlUrl, SendNoteDocument, { sessionId: guest.sessionId, content: 'mine', private: true }, guest.token)).toBe('FORBIDDEN');
    const { createRoom } = await ok(t.graphqlUrl, CreateTeamRoomDocument, {}, staff.token);
    const inRoom = await gql(t.graphqlUrl, SendNoteDocument, { sessionId: createRoom.id, content: 'x', private: true }, staff.token);
    expect(inRoom.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NOTES_SUPPORT_ONLY' });
  });
});

/** The chat WebSocket (seed 001) of a session, open, with every frame it receives as text. */
async function legacyChat(url: string, sessionId: string, token: string, since?: string) {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/chat/${sessionId}?token=${token}${since === undefined ? '' : `&since=${since}`}`);
  const frames: string[] = [];
  socket.on('message', (data) => frames.push(String(data)));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    frames,
    /** Waits, with a deadline, until a frame matches. */
    async until(match: (frame: string) => boolean, what: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!frames.some(match)) {
        if (Date.now() > deadline) throw new Error(`no chat WebSocket frame with ${what}; got ${frames.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => socket.close(),
  };
}
