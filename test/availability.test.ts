import WebSocket from 'ws';
import { loadConfig } from '../src/config/config.js';
import { UserRole } from '../src/shared/enums.js';
import { AgentsDocument, SetAgentCapacityDocument, SetAvailabilityDocument } from './generated/graphql.js';
import { connectAgent, disconnect, eventually } from './helpers/agents.js';
import { gql, ok } from './helpers/client.js';
import { clusterAvailable, skipReason, startCluster } from './helpers/cluster.js';
import { type Actor, assignedSession, foreignTenantAdmin, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { wsUrl } from './helpers/subscriptions.js';

describe('agent availability and presence', () => {
  let t: TestServer;
  let admin: Actor;
  let staff: Actor;

  const agentOf = async (server: { graphqlUrl: string }, token: string, id: string) => (await ok(server.graphqlUrl, AgentsDocument, {}, token)).agents.find((agent) => agent.id === id);

  beforeAll(async () => {
    t = await startTestServer({ env: { AGENT_DEFAULT_CAPACITY: '3', AGENT_MAX_CAPACITY: '10' } });
    admin = await loginAdmin(t);
    staff = await userWithRole(t, admin, UserRole.STAFF);
  });
  afterAll(() => t.dispose());

  it('lists every staff member with availability OFFLINE, offline, no sessions and the default capacity at first', async () => {
    const other = await userWithRole(t, admin, UserRole.STAFF);
    const customer = await userWithRole(t, admin, UserRole.USER);
    const { agents } = await ok(t.graphqlUrl, AgentsDocument, {}, admin.token);
    expect(agents.find((a) => a.id === other.userId)).toMatchObject({ availability: 'OFFLINE', online: false, activeSessions: 0, capacity: 3 });
    // Only staff are agents (customers and admins are not assigned sessions).
    expect(agents.map((a) => a.id)).not.toContain(customer.userId);
    expect(agents.map((a) => a.id)).not.toContain(admin.userId);
  });

  it('stores the availability staff and admins set, and refuses it to customers', async () => {
    expect((await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'BUSY' }, staff.token)).setAvailability).toMatchObject({ id: staff.userId, availability: 'BUSY' });
    expect(await agentOf(t, admin.token, staff.userId)).toMatchObject({ availability: 'BUSY' });
    expect((await ok(t.graphqlUrl, SetAvailabilityDocument, { availability: 'ONLINE' }, admin.token)).setAvailability).toMatchObject({ id: admin.userId, availability: 'ONLINE' });
    const customer = await userWithRole(t, admin, UserRole.USER);
    const refused = await gql(t.graphqlUrl, SetAvailabilityDocument, { availability: 'ONLINE' }, customer.token);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'STAFF_ONLY' });
    const bad = await gql(t.graphqlUrl, 'mutation { setAvailability(availability: AWAY) { id } }', {}, staff.token);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('shows an agent online while at least one graphql-ws connection is open, and offline after the last closes', async () => {
    expect(await agentOf(t, admin.token, staff.userId)).toMatchObject({ online: false });
    const first = await connectAgent(t.url, staff.token);
    expect(await agentOf(t, admin.token, staff.userId)).toMatchObject({ online: true });
    const second = await connectAgent(t.url, staff.token);
    await disconnect(first);
    // Closing one of two connections leaves the agent online.
    expect(await agentOf(t, admin.token, staff.userId)).toMatchObject({ online: true });
    second.terminate();
    await eventually(
      () => agentOf(t, admin.token, staff.userId),
      (agent) => agent?.online === false,
    );
  });

  it('counts the legacy chat WebSocket as a connection too', async () => {
    const owner = await userWithRole(t, admin, UserRole.USER);
    const agent = await userWithRole(t, admin, UserRole.STAFF);
    const sessionId = await assignedSession(t, admin, owner, agent);
    const socket = new WebSocket(wsUrl(t.url, `/ws/chat/${sessionId}?token=${agent.token}`));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    await eventually(
      () => agentOf(t, admin.token, agent.userId),
      (view) => view?.online === true,
    );
    expect(await agentOf(t, admin.token, agent.userId)).toMatchObject({ activeSessions: 1 });
    await disconnect(socket);
    await eventually(
      () => agentOf(t, admin.token, agent.userId),
      (view) => view?.online === false,
    );
  });

  it('lets admins set a capacity within 0 … AGENT_MAX_CAPACITY, for staff of their own tenant only', async () => {
    expect((await ok(t.graphqlUrl, SetAgentCapacityDocument, { agentId: staff.userId, capacity: 7 }, admin.token)).setAgentCapacity).toMatchObject({ id: staff.userId, capacity: 7 });
    expect(await agentOf(t, admin.token, staff.userId)).toMatchObject({ capacity: 7 });
    for (const capacity of [-1, 11]) {
      const refused = await gql(t.graphqlUrl, SetAgentCapacityDocument, { agentId: staff.userId, capacity }, admin.token);
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { capacity: expect.any(String) } });
    }
    const customer = await userWithRole(t, admin, UserRole.USER);
    const notStaff = await gql(t.graphqlUrl, SetAgentCapacityDocument, { agentId: customer.userId, capacity: 2 }, admin.token);
    expect(notStaff.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NOT_STAFF' });
    const badId = await gql(t.graphqlUrl, SetAgentCapacityDocument, { agentId: 'x', capacity: 2 }, admin.token);
    expect(badId.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const foreign = await foreignTenantAdmin(t);
    const theirs = await gql(t.graphqlUrl, SetAgentCapacityDocument, { agentId: staff.userId, capacity: 2 }, foreign.token);
    const missing = await gql(t.graphqlUrl, SetAgentCapacityDocument, { agentId: '987654321', capacity: 2 }, foreign.token);
    expect(theirs.errors?.[0]?.extensions).toEqual(missing.errors?.[0]?.extensions);
    expect(theirs.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'AGENT_NOT_FOUND' });
    expect((await ok(t.graphqlUrl, AgentsDocument, {}, foreign.token)).agents.map((a) => a.id)).not.toContain(staff.userId);
    expect(await agentOf(t, admin.token, staff.userId)).toMatchObject({ capacity: 7 });
  });
});

describe('availability settings', () => {
  const base = { NODE_ENV: 'test', DATA_DIR: '/tmp/parley-config-check', JWT_SECRET: 'x'.repeat(40) };
  it('defaults to capacity 3 (at most 50) and a 30 s presence TTL, and refuses values out of range by name', () => {
    expect(loadConfig(base).assignment).toEqual({ defaultCapacity: 3, maxCapacity: 50, presenceTtlSeconds: 30 });
    expect(() => loadConfig({ ...base, AGENT_DEFAULT_CAPACITY: '60' })).toThrow(/AGENT_DEFAULT_CAPACITY/);
    expect(() => loadConfig({ ...base, AGENT_MAX_CAPACITY: '0' })).toThrow(/AGENT_MAX_CAPACITY/);
    expect(() => loadConfig({ ...base, PRESENCE_TTL_SECONDS: '0' })).toThrow(/PRESENCE_TTL_SECONDS/);
    expect(() => loadConfig({ ...base, PRESENCE_TTL_SECONDS: 'soon' })).toThrow(/PRESENCE_TTL_SECONDS/);
  });
});

const available = clusterAvailable();
skipReason(available, 'presence across nodes needs two nodes sharing PostgreSQL and Redis (DATABASE_URL and REDIS_URL)');

describe('presence across nodes (Redis)', () => {
  (available ? it : it.skip)(
    'shows an agent connected to the other node online, and offline within the TTL once that node is killed',
    async () => {
      const cluster = await startCluster({ env: { PRESENCE_TTL_SECONDS: '1' } });
      try {
        const admin = await loginAdmin(cluster.a);
        const staff = await userWithRole(cluster.a, admin, UserRole.STAFF);
        const agentOnA = async () => (await ok(cluster.a.graphqlUrl, AgentsDocument, {}, admin.token)).agents.find((agent) => agent.id === staff.userId);

        // A clean close on node B is seen on node A at once.
        const clean = await connectAgent(cluster.b.url, staff.token);
        expect(await agentOnA()).toMatchObject({ online: true });
        await disconnect(clean);
        await eventually(agentOnA, (agent) => agent?.online === false);

        // Node B dies with the connection open: nothing says goodbye, the entry expires.
        const held = await connectAgent(cluster.b.url, staff.token);
        // Outlives several TTLs while node B keeps refreshing it.
        const sawOnline = await eventually(agentOnA, (agent) => agent?.online === true);
        expect(sawOnline).toMatchObject({ online: true });
        cluster.killB();
        await eventually(agentOnA, (agent) => agent?.online === false, 100, 100);
        held.terminate();
      } finally {
        await cluster.dispose();
      }
    },
    120_000,
  );
});
