import { type Actor, guestSession, loginAdmin } from './helpers/fixtures.js';
import { OpenApiChecker, type RestResponse } from './helpers/rest.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * A body that is not declared JSON is refused with 415 in each dialect's own body, before any
 * route runs on defaults (a v1 guest session must not be created from an ignored body); a body
 * that is not valid JSON gets a short message that names no framework internals.
 */
describe('bodies that are not JSON', () => {
  let t: TestServer;
  let admin: Actor;
  const checker = new OpenApiChecker();

  beforeAll(async () => {
    t = await startTestServer();
    admin = await loginAdmin(t);
  });
  afterAll(() => t.dispose());

  /** Sends bytes with the given Content-Type (none when undefined: fetch adds none for a Buffer). */
  const send = async (method: string, path: string, body: string, contentType?: string, token?: string): Promise<RestResponse> => {
    const headers: Record<string, string> = { ...(contentType ? { 'content-type': contentType } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const response = await fetch(t.url + path, { method, headers, body: Buffer.from(body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text) as unknown, text };
  };

  it.each([undefined, 'text/plain', 'application/x-www-form-urlencoded'])('v1: a guest session body sent as %s is 415 in the envelope, and no session is created', async (type) => {
    const sessionKey = `media-type-key-${(type ?? 'none').replace(/[^a-z]/g, '-')}`;
    const response = await send('POST', '/api/v1/chat/guest/session', JSON.stringify({ session_id: sessionKey }), type);
    checker.check('POST', '/api/v1/chat/guest/session', response);
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({ success: false, data: null, error: { code: 'UNSUPPORTED_MEDIA_TYPE' }, message: 'Send the body as JSON with Content-Type: application/json.' });
    // The refused request created nothing: the same session_id now starts a new session (201, not 200).
    const json = await send('POST', '/api/v1/chat/guest/session', JSON.stringify({ session_id: sessionKey }), 'application/json');
    expect(json.status).toBe(201);
  });

  it('chat API: 415 with its error body; invalid JSON says so in plain words', async () => {
    const untyped = await send('POST', '/api/chat/sessions', '{"subject":"x"}', undefined, admin.token);
    checker.check('POST', '/api/chat/sessions', untyped);
    expect(untyped.status).toBe(415);
    expect(untyped.body).toMatchObject({ success: false, error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    const malformed = await send('POST', '/api/chat/sessions', '{"subject":', 'application/json', admin.token);
    expect([malformed.status, malformed.body]).toEqual([
      400,
      { success: false, message: 'The request body is not valid JSON', error: { code: 'BAD_REQUEST', message: 'The request body is not valid JSON' } },
    ]);
    // A body-less PUT needs no Content-Type.
    const { sessionId } = await guestSession(t);
    const close = await fetch(`${t.url}/api/chat/sessions/${sessionId}/close`, { method: 'PUT', headers: { authorization: `Bearer ${admin.token}` } });
    expect(close.status).toBe(200);
  });

  it('widget: 415 {"detail": "unsupported_media_type"}', async () => {
    const response = await send('POST', '/widget/session', '{"widget_key":"wk_x"}', 'text/plain');
    checker.check('POST', '/widget/session', response);
    expect([response.status, response.body]).toEqual([415, { detail: 'unsupported_media_type' }]);
  });

  it('GraphQL: 415 with a one-line reason instead of the CSRF page; invalid JSON is INVALID_JSON, not a parser internal', async () => {
    const untyped = await send('POST', '/graphql', '{"query":"{ me { id } }"}');
    expect(untyped.status).toBe(415);
    expect(untyped.body).toEqual({
      errors: [
        { message: 'Send GraphQL requests as JSON with Content-Type: application/json (or multipart/form-data for uploads)', extensions: { code: 'UNSUPPORTED_MEDIA_TYPE', reason: 'NOT_JSON' } },
      ],
    });
    const malformed = await send('POST', '/graphql', '{"query":', 'application/json');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST', reason: 'INVALID_JSON' } }] });
    expect(malformed.text).not.toMatch(/entity|parse\.failed|body-parser|express/i);
  });
});
