import { randomUUID } from 'node:crypto';
import { UserRole } from '../src/shared/enums.js';
import { CreateGuestSessionDocument, CreateSessionDocument, CreateUserDocument, SendMessageDocument } from './generated/graphql.js';
import { type GraphQLResponse, gql } from './helpers/client.js';
import { type Actor, guestSession, loginAdmin, PASSWORD, unique, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

type Found = number | null | undefined | string;
type Schemas = Record<string, { properties: Record<string, { maxLength?: number }> }>;

/**
 * One stored text limit: the columns that hold it, the OpenAPI properties that document it, and
 * (where a client can send it) a call that sends a value of a given length.
 */
interface Limit {
  columns: [table: string, column: string][];
  documented: [schema: string, property: string][];
  send?: (length: number) => Promise<GraphQLResponse<unknown>>;
}

describe('length limits', () => {
  let t: TestServer;
  let admin: Actor;
  let customer: Actor;
  let guest: { token: string; sessionId: string };
  let schemas: Schemas;
  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
    customer = await userWithRole(t, admin, UserRole.USER);
    guest = await guestSession(t);
    const response = await fetch(`${t.url}/openapi.json`);
    schemas = ((await response.json()) as { components: { schemas: Schemas } }).components.schemas;
  });
  afterAll(() => t.dispose());

  const key = (length: number) => (randomUUID() + 'k'.repeat(length)).slice(0, length);
  const guestWith = (field: string, value: string) => gql(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: randomUUID(), [field]: value });
  const limits: Record<string, Limit> = {
    'guest phone': { columns: [['chat_sessions', 'guest_phone']], documented: [['V1GuestSessionRequest', 'guest_phone']], send: (n) => guestWith('guestPhone', '5'.repeat(n)) },
    'guest name': {
      columns: [
        ['chat_sessions', 'guest_name'],
        ['participants', 'guest_name'],
      ],
      documented: [
        ['V1GuestSessionRequest', 'guest_name'],
        ['V1ChatMessageResource', 'sender_name'],
      ],
      send: (n) => guestWith('guestName', 'n'.repeat(n)),
    },
    'display name': {
      columns: [['users', 'display_name']],
      documented: [['V1ChatMessageResource', 'sender_name']],
      send: (n) => gql(t.graphqlUrl, CreateUserDocument, { username: unique('dn'), role: UserRole.USER, password: PASSWORD, displayName: 'd'.repeat(n) }, admin.token),
    },
    email: {
      columns: [
        ['chat_sessions', 'guest_email'],
        ['users', 'email'],
      ],
      documented: [['V1GuestSessionRequest', 'guest_email']],
      send: (n) => guestWith('guestEmail', `${'e'.repeat(n - 8)}@mail.io`),
    },
    'session key': {
      columns: [['chat_sessions', 'session_key']],
      documented: [['V1GuestSessionRequest', 'session_id']],
      send: (n) => gql(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey: key(n) }),
    },
    subject: {
      columns: [['chat_sessions', 'subject']],
      documented: [
        ['ChatCreateSessionRequest', 'subject'],
        ['ChatSession', 'subject'],
      ],
      send: (n) => gql(t.graphqlUrl, CreateSessionDocument, { subject: 's'.repeat(n) }, customer.token),
    },
    'client message id': {
      columns: [['chat_messages', 'client_message_id']],
      documented: [
        ['WidgetSendMessageRequest', 'client_message_id'],
        ['V1SendMessageRequest', 'client_message_id'],
      ],
      send: (n) => gql(t.graphqlUrl, SendMessageDocument, { sessionId: guest.sessionId, content: 'hi', clientMessageId: key(n) }, guest.token),
    },
    username: {
      columns: [['users', 'username']],
      documented: [['RoomMessage', 'sender']],
      send: (n) => gql(t.graphqlUrl, CreateUserDocument, { username: key(n).toLowerCase(), role: UserRole.USER, password: PASSWORD }, admin.token),
    },
    'attachment name': { columns: [['attachments', 'name']], documented: [['ChatAttachment', 'name']] },
    'rating comment': {
      columns: [['session_ratings', 'comment']],
      documented: [
        ['ChatRatingRequest', 'comment'],
        ['V1RatingRequest', 'comment'],
        ['ChatRating', 'comment'],
      ],
    },
  };

  async function columnLength(table: string, column: string): Promise<number | null> {
    const [row] = await t.server.orm.em
      .fork()
      .execute<{ length: number | null }[]>('select character_maximum_length as length from information_schema.columns where table_schema = current_schema() and table_name = ? and column_name = ?', [
        table,
        column,
      ]);
    if (!row) throw new Error(`no column ${table}.${column}`);
    return row.length === null ? null : Number(row.length);
  }

  it.each(Object.keys(limits))('gives the %s one limit: the OpenAPI document, the database column and the service agree', async (what) => {
    const { columns, documented, send } = limits[what]!;
    const documentedLengths = documented.map(([schema, property]) => schemas[schema]?.properties[property]?.maxLength);
    const limit = documentedLengths[0];
    if (typeof limit !== 'number') throw new Error(`${documented[0]!.join('.')} documents no maxLength`);
    const found: Record<string, Found> = Object.fromEntries(documented.map(([schema, property], i) => [`openapi ${schema}.${property}`, documentedLengths[i]]));
    for (const [table, column] of columns) found[`column ${table}.${column}`] = await columnLength(table, column);
    if (send) {
      const atLimit = await send(limit);
      found[`accepts ${limit} characters`] = atLimit.errors === undefined ? limit : JSON.stringify(atLimit.errors);
      const over = await send(limit + 1);
      found[`refuses ${limit + 1} characters as TOO_LONG`] = over.errors?.[0]?.extensions?.reason === 'TOO_LONG' ? limit : JSON.stringify(over.errors ?? over.data);
    }
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((name) => [name, limit])));
  });
});
