import { randomUUID } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Tenant } from '../src/model/tenant.entity.js';
import { UserRole } from '../src/shared/enums.js';
import { CloseSessionDocument, CreateRoomDocument } from './generated/graphql.js';
import { ok } from './helpers/client.js';
import { png } from './helpers/files.js';
import { assignedSession, loginAdmin, userWithRole } from './helpers/fixtures.js';
import { OpenApiChecker, type RestOptions, rest } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const ORIGIN = 'https://widget.example';

describe('OpenAPI document', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.dispose());

  it('is served at /openapi.json and passes the OpenAPI 3.1 schema validator', async () => {
    const response = await fetch(`${t.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Record<string, unknown>;
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('serves a browsable /docs page whose assets come from this server, not a CDN', async () => {
    const page = await fetch(`${t.url}/docs`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(1);
    for (const source of sources) {
      expect(source.startsWith('/')).toBe(true);
      const asset = await fetch(t.url + source);
      expect([source, asset.status]).toEqual([source, 200]);
    }
    expect((await fetch(`${t.url}/docs/assets/missing.js`)).status).toBe(404);
  });

  it('describes every route it lists truthfully: each one answers a documented status with a body matching its schema', async () => {
    const checker = new OpenApiChecker();
    const admin = await loginAdmin(t);
    const staff = await userWithRole(t, admin, UserRole.STAFF);
    const owner = await userWithRole(t, admin, UserRole.USER);
    const em = t.server.orm.em.fork();
    const tenant = await em.findOneOrFail(Tenant, { id: t.server.defaultTenantId });
    tenant.allowedOrigins = [ORIGIN];
    await em.flush();

    const call = async (method: string, template: string, path: string, options: RestOptions = {}) => {
      const response = await rest(t.url, method, path, options);
      checker.check(method, template, response);
      return response;
    };
    const sessionId = await assignedSession(t, admin, owner, staff);
    const key = randomUUID();
    const guest = await call('POST', '/api/v1/chat/guest/session', '/api/v1/chat/guest/session', { body: { session_id: key, guest_name: 'G' } });
    const widget = await call('POST', '/widget/session', '/widget/session', { body: { widget_key: tenant.widgetKey }, headers: { origin: ORIGIN } });
    const { createRoom } = await ok(t.graphqlUrl, CreateRoomDocument, { name: 'docs' }, owner.token);

    // One successful call and one refused call for every documented operation.
    const S = `/api/chat/sessions/${sessionId}`;
    const W = `/widget/conversations/${widget.body.conversation_id}/messages`;
    const R = `/api/chat/rooms/${createRoom.id}/messages/`;
    const G = `/api/v1/chat/guest/session/${key}/messages`;
    const fresh = await rest(t.url, 'POST', '/api/chat/sessions', { token: owner.token, body: {} });
    const F = `/api/chat/sessions/${fresh.body.id}`;
    const first = await rest(t.url, 'POST', `${S}/messages`, { token: owner.token, body: { content: 'first' } });
    // The multipart variant of the send: refused without a token, then sent with a file to download.
    const multipart = () => {
      const form = new FormData();
      form.append('content', 'with a file');
      form.append('attachments[0]', new Blob([png(3, 2)], { type: 'image/png' }), 'docs.png');
      return form;
    };
    expect((await call('POST', '/api/chat/sessions/{sessionId}/messages', `${S}/messages`, { form: multipart() })).status).toBe(401);
    const withFile = await call('POST', '/api/chat/sessions/{sessionId}/messages', `${S}/messages`, { token: owner.token, form: multipart() });
    expect(withFile.status).toBe(201);
    const calls: [string, string, string, RestOptions][] = [
      ['POST', '/api/v1/chat/guest/session/{session_id}/messages', G, { token: guest.body.data.token, body: { message: 'hi' } }],
      ['GET', '/api/v1/chat/guest/session/{session_id}/messages', G, { token: guest.body.data.token }],
      ['POST', '/api/v1/chat/sessions/{id}/messages', `/api/v1/chat/sessions/${sessionId}/messages`, { token: staff.token, body: { message: 'hi' } }],
      ['GET', '/api/v1/chat/sessions/{id}/messages', `/api/v1/chat/sessions/${sessionId}/messages`, { token: staff.token }],
      ['GET', '/api/chat/sessions', '/api/chat/sessions', { token: admin.token }],
      ['POST', '/api/chat/sessions', '/api/chat/sessions', { token: owner.token, body: { subject: 'x' } }],
      ['GET', '/api/chat/sessions/{sessionId}', S, { token: owner.token }],
      ['POST', '/api/chat/sessions/{sessionId}/messages', `${S}/messages`, { token: owner.token, body: { content: 'hi' } }],
      ['GET', '/api/chat/sessions/{sessionId}/messages', `${S}/messages`, { token: owner.token }],
      ['PUT', '/api/chat/sessions/{sessionId}/read', `${S}/read`, { token: staff.token, body: { messageIds: [first.body.id] } }],
      ['POST', '/api/chat/sessions/{sessionId}/typing', `${S}/typing`, { token: owner.token, body: { isTyping: true } }],
      ['PUT', '/api/chat/sessions/{sessionId}/assign', `${F}/assign`, { token: admin.token, body: { agentId: staff.userId } }],
      ['PUT', '/api/chat/sessions/{sessionId}/close', `${F}/close`, { token: admin.token }],
      ['GET', '/api/chat/stats', '/api/chat/stats', { token: admin.token }],
      ['GET', '/api/chat/attachments/{attachmentId}', withFile.body.attachments[0].url, { token: staff.token }],
      ['POST', '/widget/conversations/{id}/messages', W, { token: widget.body.token, body: { content: 'hi' } }],
      ['GET', '/widget/conversations/{id}/messages', W, { token: widget.body.token }],
      ['POST', '/api/chat/rooms/{chat_room_id}/messages/', R, { token: owner.token, body: { content: 'hi' } }],
      ['GET', '/api/chat/rooms/{chat_room_id}/messages/', R, { token: owner.token }],
    ];
    for (const [method, template, path, options] of calls) {
      const response = await call(method, template, path, options);
      expect([method, template, response.status < 300]).toEqual([method, template, true]);
      const refused = await call(method, template, path, method === 'GET' ? {} : { body: {} });
      expect([method, template, refused.status >= 400]).toEqual([method, template, true]);
    }
    // CSAT: the rating routes need closed sessions (F was closed above).
    await ok(t.graphqlUrl, CloseSessionDocument, { sessionId: String(guest.body.data.session.id) }, admin.token);
    const ratingCalls: [string, string, string, RestOptions][] = [
      ['POST', '/api/v1/chat/guest/session/{session_id}/rating', `/api/v1/chat/guest/session/${key}/rating`, { token: guest.body.data.token, body: { score: 5 } }],
      ['POST', '/api/chat/sessions/{sessionId}/rating', `${F}/rating`, { token: owner.token, body: { score: 4, comment: 'fine' } }],
      ['GET', '/api/chat/sessions/{sessionId}/rating', `${F}/rating`, { token: admin.token }],
    ];
    for (const [method, template, path, options] of ratingCalls) {
      expect([method, template, (await call(method, template, path, options)).status < 300]).toEqual([method, template, true]);
      expect([method, template, (await call(method, template, path, method === 'GET' ? {} : { body: {} })).status >= 400]).toEqual([method, template, true]);
    }
    await call('POST', '/widget/session', '/widget/session', { body: { widget_key: 'wrong' }, headers: { origin: ORIGIN } });
    await call('POST', '/api/v1/chat/guest/session', '/api/v1/chat/guest/session', { body: {} });

    const documented = Object.entries(checker.document.paths as Record<string, Record<string, unknown>>).flatMap(([template, item]) =>
      Object.keys(item)
        .filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key))
        .map((method) => `${method.toUpperCase()} ${template}`),
    );
    expect([...checker.seen].sort()).toEqual(documented.sort());
  });
});
