import { randomUUID } from 'node:crypto';
import { Tenant } from '../../src/model/tenant.entity.js';
import { UserRole } from '../../src/shared/enums.js';
import { createTenant } from '../../src/tenants/tenant.service.js';
import { createUser } from '../../src/users/user.service.js';
import { AssignAgentDocument, CreateGuestSessionDocument, CreateSessionDocument, CreateUserDocument, LoginDocument } from '../generated/graphql.js';
import { ok } from './client.js';
import { rest } from './rest.js';
import { ADMIN_PASSWORD, type TestServer } from './server.js';

export const PASSWORD = 'password-for-tests';

export interface Actor {
  token: string;
  userId: string;
}

let counter = 0;
export const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function loginAdmin(t: TestServer): Promise<Actor> {
  const { login } = await ok(t.graphqlUrl, LoginDocument, { username: 'admin', password: ADMIN_PASSWORD });
  return { token: login.token, userId: login.user.id };
}

/** Creates a user through the admin mutation and signs them in. */
export async function userWithRole(t: TestServer, admin: Actor, role: UserRole, name = unique(role.toLowerCase())): Promise<Actor> {
  const { createUser } = await ok(t.graphqlUrl, CreateUserDocument, { username: name, role, password: PASSWORD, email: `${name}@example.test` }, admin.token);
  const { login } = await ok(t.graphqlUrl, LoginDocument, { username: name, password: PASSWORD });
  return { token: login.token, userId: createUser.id };
}

/** A second tenant with its own admin: set up the way `npm run admin` does, then signed in over HTTP. */
export async function foreignTenantAdmin(t: TestServer): Promise<Actor> {
  const em = t.server.orm.em.fork();
  const slug = unique('tenant-');
  const tenant = await createTenant(em, slug);
  const username = 'boss';
  await createUser(em, tenant.id, { role: UserRole.ADMIN, username, password: PASSWORD });
  const { login } = await ok(t.graphqlUrl, LoginDocument, { username, password: PASSWORD, tenant: slug });
  return { token: login.token, userId: login.user.id };
}

export async function guestSession(t: TestServer, name = 'Guest'): Promise<{ token: string; sessionId: string; sessionKey: string }> {
  const sessionKey = randomUUID();
  const { createGuestSession } = await ok(t.graphqlUrl, CreateGuestSessionDocument, { sessionKey, guestName: name });
  return { token: createGuestSession.token, sessionId: createGuestSession.session.id, sessionKey };
}

/** A support session opened by `owner` and assigned to `staff`. */
export async function assignedSession(t: TestServer, admin: Actor, owner: Actor, staff: Actor): Promise<string> {
  const { createSession } = await ok(t.graphqlUrl, CreateSessionDocument, { subject: 'Help' }, owner.token);
  await ok(t.graphqlUrl, AssignAgentDocument, { sessionId: createSession.id, agentId: staff.userId }, admin.token);
  return createSession.id;
}

/** A widget conversation (seed 002) in the default tenant, started from an origin the tenant allows. */
export async function widgetConversation(t: TestServer, origin = 'https://shop.example'): Promise<{ token: string; conversation: string }> {
  const em = t.server.orm.em.fork();
  const tenant = await em.findOneOrFail(Tenant, { id: t.server.defaultTenantId });
  if (!tenant.allowedOrigins.includes(origin)) tenant.allowedOrigins = [...tenant.allowedOrigins, origin];
  await em.flush();
  const started = await rest(t.url, 'POST', '/widget/session', { body: { widget_key: tenant.widgetKey }, headers: { origin } });
  return { token: started.body.token, conversation: started.body.conversation_id };
}
