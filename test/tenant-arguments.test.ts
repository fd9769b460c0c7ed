import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { UserRole } from '../src/shared/enums.js';
import {
  AddRoomMemberDocument,
  AssignAgentDocument,
  CreateRoomDocument,
  CreateSessionDocument,
  CreateUserDocument,
  DeleteMessageDocument,
  EditMessageDocument,
  MarkReadDocument,
  RemoveRoomMemberDocument,
  SendMessageDocument,
  SessionsDocument,
} from './generated/graphql.js';
import { gql, ok } from './helpers/client.js';
import { type Actor, foreignTenantAdmin, loginAdmin, PASSWORD, unique, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

type AnyDocument = TypedDocumentNode<any, any>;

/** An id no row of any tenant has. */
const MISSING = '987654321';

let t: TestServer;
let admin: Actor;
let owner: Actor;
/** Our tenant's support session (opened by `owner`) and room (owned by `owner`). */
let session: string;
let room: string;
/** Ids that exist only in the other tenant. */
const foreign = { staff: '', user: '', message: '' };

beforeAll(async () => {
  t = await startTestServer();
  admin = await loginAdmin(t);
  owner = await userWithRole(t, admin, UserRole.USER);
  session = (await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'ours' }, owner.token)).createSession.id;
  await ok(t.graphqlUrl, SendMessageDocument, { sessionId: session, content: 'ours' }, owner.token);
  room = (await ok(t.graphqlUrl, CreateRoomDocument, { name: 'ours' }, owner.token)).createRoom.id;

  // The other tenant: a staff member assigned to a session holding a message, and a plain user.
  const boss = await foreignTenantAdmin(t);
  const create = async (role: UserRole) => (await ok(t.graphqlUrl, CreateUserDocument, { username: unique('theirs'), role, password: PASSWORD }, boss.token)).createUser.id;
  foreign.staff = await create(UserRole.STAFF);
  foreign.user = await create(UserRole.USER);
  const theirs = (await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'theirs' }, boss.token)).createSession.id;
  await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: theirs, agentId: foreign.staff }, boss.token);
  foreign.message = (await ok(t.graphqlUrl, SendMessageDocument, { sessionId: theirs, content: 'theirs' }, boss.token)).sendMessage.message.id;
});

afterAll(() => t.dispose());

/** Every row a call could change (sessions, memberships, messages) and the outbox size, across tenants. */
async function state(): Promise<unknown> {
  const [row] = await t.server.orm.em
    .fork()
    .getConnection()
    .execute(
      `select (select md5(coalesce(string_agg(s::text, '|' order by s.id), '')) from chat_sessions s) as sessions,
              (select md5(coalesce(string_agg(p::text, '|' order by p.id), '')) from participants p) as participants,
              (select md5(coalesce(string_agg(m::text, '|' order by m.id), '')) from chat_messages m) as messages,
              (select count(*)::int from session_events) as events`,
    );
  return row;
}

/** The operation, the foreign id, the variables around an id, the caller, and what a missing id gets (the reason, or OK). */
const cases: [string, AnyDocument, () => string, (id: string) => Record<string, unknown>, () => Actor, string][] = [
  ["assignAgent's agentId", AssignAgentDocument, () => foreign.staff, (agentId) => ({ sessionId: session, agentId }), () => admin, 'AGENT_NOT_FOUND'],
  ["createSession's userId", CreateSessionDocument, () => foreign.user, (userId) => ({ subject: 'for them', userId }), () => admin, 'USER_NOT_FOUND'],
  ["sessions' filter agentId", SessionsDocument, () => foreign.staff, (agentId) => ({ filter: { agentId } }), () => admin, 'OK'],
  ["createRoom's memberIds", CreateRoomDocument, () => foreign.user, (id) => ({ name: 'with them', memberIds: [id] }), () => owner, 'USER_NOT_FOUND'],
  ["addRoomMember's userId", AddRoomMemberDocument, () => foreign.user, (userId) => ({ roomId: room, userId }), () => owner, 'USER_NOT_FOUND'],
  ["removeRoomMember's userId", RemoveRoomMemberDocument, () => foreign.user, (userId) => ({ roomId: room, userId }), () => owner, 'MEMBER_NOT_FOUND'],
  ["markRead's messageIds", MarkReadDocument, () => foreign.message, (id) => ({ sessionId: session, messageIds: [id] }), () => owner, 'UNKNOWN_MESSAGE'],
  ["editMessage's messageId", EditMessageDocument, () => foreign.message, (messageId) => ({ messageId, content: 'changed' }), () => admin, 'MESSAGE_NOT_FOUND'],
  ["deleteMessage's messageId", DeleteMessageDocument, () => foreign.message, (messageId) => ({ messageId }), () => admin, 'MESSAGE_NOT_FOUND'],
];

describe("another tenant's ids given as arguments behave exactly like ids that do not exist, and change nothing", () => {
  it.each(cases)('%s', async (_name, document, foreignId, variables, actor, outcome) => {
    const id = foreignId();
    const before = await state();
    const theirs = await gql(t.graphqlUrl, document, variables(id), actor().token);
    const missing = await gql(t.graphqlUrl, document, variables(MISSING), actor().token);
    expect(await state()).toEqual(before);
    expect(missing.errors?.[0]?.extensions?.reason ?? 'OK').toBe(outcome);
    expect(theirs.data).toEqual(missing.data);
    expect(theirs.errors?.map((error) => error.extensions)).toEqual(missing.errors?.map((error) => error.extensions));
    expect(theirs.errors?.map((error) => error.message.replaceAll(id, 'X'))).toEqual(missing.errors?.map((error) => error.message.replaceAll(MISSING, 'X')));
  });
});
