import { Router } from 'express';
import type { RequestContext } from '../../app/context.js';
import { DomainError } from '../../shared/errors.js';
import { requireSupportStaff } from '../../shared/guards.js';
import { isId } from '../../shared/validate.js';
import { type DialectErrors, dialectRoutes, type RouteCall } from '../common/dialect-routes.js';
import { jsonBody, jsonObject, parseCount, queryParam } from '../common/http.js';
import type { RestDeps } from '../common/rest.types.js';
import { V1CreateGuestSessionDocument, V1MessagesSinceDocument, V1RateSessionDocument, V1SendMessageDocument, V1SessionByKeyDocument } from '../generated/graphql.js';
import { v1Failure, v1OperationFailure, v1Success } from './v1.envelope.js';
import { toV1Message, toV1Session } from './v1.resources.js';

/** Request bodies here are a few short strings. */
export const V1_BODY_LIMIT = '16kb';
/** One poll returns at most this many messages; `meta.has_more` tells the client to poll again at once. */
export const V1_POLL_LIMIT = 100;

/** GraphQL argument names → this dialect's field names, for per-field messages. */
const FIELD_NAMES = {
  sessionKey: 'session_id',
  guestName: 'guest_name',
  guestEmail: 'guest_email',
  guestPhone: 'guest_phone',
  content: 'message',
  clientMessageId: 'client_message_id',
  afterId: 'last_message_id',
  sessionId: 'id',
};

type Body = Record<string, unknown>;

/** Laravel-style "string" rule: absent/null allowed unless required; anything else must be a string. */
function stringFields(body: Body, required: readonly string[], optional: readonly string[]): Record<string, string[]> | null {
  const errors: Record<string, string[]> = {};
  for (const field of required) {
    const value = body[field];
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) errors[field] = [`The ${field} field is required.`];
    else if (typeof value !== 'string') errors[field] = [`The ${field} field must be a string.`];
  }
  for (const field of optional) {
    const value = body[field];
    if (value !== undefined && value !== null && typeof value !== 'string') errors[field] = [`The ${field} field must be a string.`];
  }
  return Object.keys(errors).length ? errors : null;
}

const v1Errors: DialectErrors = {
  operation: (res, error) => v1OperationFailure(res, error, FIELD_NAMES),
  internal: (res) => v1Failure(res, 'INTERNAL_ERROR', 'Internal server error'),
};

/** `last_message_id`: a non-negative integer, 0 when absent; null once the 400 has been written. */
function lastMessageId({ req, res }: RouteCall): string | null {
  const raw = queryParam(req, 'last_message_id');
  if (raw === undefined || raw === '') return '0';
  const value = parseCount(raw);
  if (value !== null) return String(value);
  v1Failure(res, 'VALIDATION_FAILED', 'The given data was invalid.', { last_message_id: ['The last_message_id must be a non-negative integer.'] });
  return null;
}

/** Staff routes (seed 000): the caller must be signed in as staff (or an admin, who may act on every session). */
async function staffCaller(call: RouteCall): Promise<RequestContext | null> {
  const context = await call.caller();
  if (!context) return null;
  try {
    requireSupportStaff(context.viewer);
    return context;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const unauthenticated = error.code === 'UNAUTHENTICATED';
    v1Failure(call.res, unauthenticated ? 'UNAUTHORIZED' : 'FORBIDDEN', unauthenticated ? 'Authentication required' : 'Staff only');
    return null;
  }
}

/** The staff routes' `{id}`: a numeric session id (404 written here otherwise). */
function staffSessionId({ req, res }: RouteCall): string | null {
  const id = String(req.params.id);
  if (isId(id)) return id;
  v1Failure(res, 'NOT_FOUND', `Session ${id} not found`);
  return null;
}

/** The guest's session by its own session_id; the guest token decides access. */
async function guestSessionId(call: RouteCall): Promise<string | null> {
  const result = await call.outcome(V1SessionByKeyDocument, { sessionKey: String(call.req.params.sessionId) });
  if (!result) return null;
  if (result.ok) return result.value.sessionByKey.id;
  call.fail(result.error.code === 'BAD_USER_INPUT' ? { ...result.error, code: 'NOT_FOUND' } : result.error);
  return null;
}

async function poll(call: RouteCall, sessionId: string, afterId: string): Promise<void> {
  const data = await call.run(V1MessagesSinceDocument, { sessionId, afterId, limit: V1_POLL_LIMIT });
  if (!data) return;
  const messages = data.messagesSince.map(toV1Message);
  const last = messages.length ? String(messages[messages.length - 1]!.id) : afterId;
  v1Success(call.res, 200, 'Messages retrieved successfully', messages, {
    count: messages.length,
    last_message_id: Number(last),
    has_more: messages.length === V1_POLL_LIMIT,
  });
}

async function send(call: RouteCall, sessionId: string): Promise<void> {
  const body = jsonObject(call.req) ?? {};
  const invalid = stringFields(body, ['message'], ['client_message_id']);
  if (invalid) return v1Failure(call.res, 'VALIDATION_FAILED', 'The given data was invalid.', invalid);
  const data = await call.run(V1SendMessageDocument, {
    sessionId,
    content: body.message as string,
    clientMessageId: (body.client_message_id as string | undefined) ?? null,
  });
  if (!data) return;
  const { created, message } = data.sendMessage;
  v1Success(call.res, created ? 201 : 200, created ? 'Message sent successfully' : 'Message already sent', toV1Message(message));
}

/** `{score: 1–5, comment?}` → the rating, in this dialect's snake_case. */
async function rate(call: RouteCall, sessionId: string): Promise<void> {
  const body = jsonObject(call.req) ?? {};
  const invalid = stringFields(body, [], ['comment']) ?? {};
  if (!Number.isInteger(body.score)) invalid.score = ['The score field must be an integer from 1 to 5.'];
  if (Object.keys(invalid).length) return v1Failure(call.res, 'VALIDATION_FAILED', 'The given data was invalid.', invalid);
  const data = await call.run(V1RateSessionDocument, { sessionId, score: body.score as number, comment: (body.comment as string | undefined) ?? null });
  if (!data) return;
  const rating = data.rateSession;
  v1Success(call.res, 201, 'Rating saved successfully', {
    id: Number(rating.id),
    session_id: Number(rating.sessionId),
    score: rating.score,
    comment: rating.comment,
    created_at: rating.createdAt,
  });
}

/** Seed 003. No auth; a repeated session_id returns the existing session (200) with its latest messages. */
async function startGuestSession(call: RouteCall): Promise<void> {
  const body = jsonObject(call.req) ?? {};
  const invalid = stringFields(body, ['session_id'], ['guest_name', 'guest_email', 'guest_phone']);
  if (invalid) return v1Failure(call.res, 'VALIDATION_FAILED', 'The given data was invalid.', invalid);
  const data = await call.run(V1CreateGuestSessionDocument, {
    sessionKey: body.session_id as string,
    guestName: (body.guest_name as string | undefined) ?? null,
    guestEmail: (body.guest_email as string | undefined) ?? null,
    guestPhone: (body.guest_phone as string | undefined) ?? null,
  });
  if (!data) return;
  const { created, token, session, messages } = data.createGuestSession;
  v1Success(call.res, created ? 201 : 200, created ? 'Session created successfully' : 'Session already exists', {
    session: toV1Session(session),
    messages: messages.map(toV1Message),
    token,
  });
}

/**
 * The v1 dialect (seeds 000 and 003): guest session start, guest polling and sending, staff
 * polling and sending. Every answer is the envelope of v1.envelope.ts.
 */
export function v1Router({ runner, logger }: RestDeps): Router {
  const router = Router();
  router.use(
    ...jsonBody(V1_BODY_LIMIT, (res, failure) => {
      if (failure.kind === 'too_large') return v1Failure(res, 'PAYLOAD_TOO_LARGE', `The request body may be at most ${V1_BODY_LIMIT}.`);
      if (failure.kind === 'unsupported_type') return v1Failure(res, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json.');
      v1Failure(res, 'VALIDATION_FAILED', 'The request body is not valid JSON.', { body: ['The body must be a JSON object.'] });
    }),
  );
  const routes = dialectRoutes(router, { name: 'v1', runner, logger, errors: v1Errors });

  routes.post('/guest/session', startGuestSession);

  routes.get('/guest/session/:sessionId/messages', async (call) => {
    if (!(await call.caller())) return;
    const afterId = lastMessageId(call);
    const sessionId = afterId === null ? null : await guestSessionId(call);
    if (sessionId !== null) await poll(call, sessionId, afterId!);
  });

  routes.post('/guest/session/:sessionId/messages', async (call) => {
    const sessionId = await guestSessionId(call);
    if (sessionId !== null) await send(call, sessionId);
  });

  /** CSAT: the guest rates its closed session once (409 CONFLICT while active or when rated already). */
  routes.post('/guest/session/:sessionId/rating', async (call) => {
    const sessionId = await guestSessionId(call);
    if (sessionId !== null) await rate(call, sessionId);
  });

  /** Seed 000: staff polls a session assigned to them; 403 when it is not. */
  routes.get('/sessions/:id/messages', async (call) => {
    if (!(await staffCaller(call))) return;
    const afterId = lastMessageId(call);
    const id = afterId === null ? null : staffSessionId(call);
    if (id !== null) await poll(call, id, afterId!);
  });

  routes.post('/sessions/:id/messages', async (call) => {
    if (!(await staffCaller(call))) return;
    const id = staffSessionId(call);
    if (id !== null) await send(call, id);
  });

  router.use((req, res) => v1Failure(res, 'NOT_FOUND', `No route ${req.method} ${req.baseUrl}${req.path}`));
  return router;
}
