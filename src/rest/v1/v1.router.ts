import { isId } from '../../shared/validate.js';
import { DomainError } from '../../shared/errors.js';
import { requireSupportStaff } from '../../auth/guards.js';
import { Router, type Request, type Response } from 'express';
import type { RequestContext } from '../../app/context.js';
import { V1CreateGuestSessionDocument, V1MessagesSinceDocument, V1SendMessageDocument, V1SessionByKeyDocument } from '../generated/graphql.js';
import { jsonBody, jsonObject, parseCount, queryParam, route } from '../http.js';
import type { RestDeps } from '../rest.types.js';
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

/**
 * The v1 dialect (seeds 000 and 003): guest session start, guest polling and sending, staff
 * polling and sending. Every answer is the envelope of v1.envelope.ts.
 */
export function v1Router({ runner, logger }: RestDeps): Router {
  const router = Router();
  const fail = (res: Response, error: unknown) => {
    logger.error({ err: error }, 'v1 route failed');
    v1Failure(res, 'INTERNAL_ERROR', 'Internal server error');
  };
  router.use(
    ...jsonBody(V1_BODY_LIMIT, (res, failure) => {
      if (failure.kind === 'too_large') return v1Failure(res, 'PAYLOAD_TOO_LARGE', `The request body may be at most ${V1_BODY_LIMIT}.`);
      if (failure.kind === 'unsupported_type') return v1Failure(res, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json.');
      v1Failure(res, 'VALIDATION_FAILED', 'The request body is not valid JSON.', { body: ['The body must be a JSON object.'] });
    }),
  );

  const contextOf = async (req: Request, res: Response): Promise<RequestContext | null> => {
    const context = await runner.context(req.headers.authorization);
    if (context.ok) return context.value;
    v1OperationFailure(res, context.error);
    return null;
  };

  /** `last_message_id`: a non-negative integer, 0 when absent. */
  const lastMessageId = (req: Request, res: Response): string | null => {
    const raw = queryParam(req, 'last_message_id');
    if (raw === undefined || raw === '') return '0';
    const value = parseCount(raw);
    if (value === null) {
      v1Failure(res, 'VALIDATION_FAILED', 'The given data was invalid.', { last_message_id: ['The last_message_id must be a non-negative integer.'] });
      return null;
    }
    return String(value);
  };

  /** Staff routes (seed 000): the caller must be signed in as staff (or an admin, who may act on every session). */
  const staffContext = async (req: Request, res: Response): Promise<RequestContext | null> => {
    const context = await contextOf(req, res);
    if (!context) return null;
    try {
      requireSupportStaff(context.viewer);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      v1Failure(res, error.code === 'UNAUTHENTICATED' ? 'UNAUTHORIZED' : 'FORBIDDEN', error.code === 'UNAUTHENTICATED' ? 'Authentication required' : 'Staff only');
      return null;
    }
    return context;
  };

  const poll = async (context: RequestContext, sessionId: string, afterId: string, res: Response) => {
    const result = await runner.run(context, V1MessagesSinceDocument, { sessionId, afterId, limit: V1_POLL_LIMIT });
    if (!result.ok) return v1OperationFailure(res, result.error, FIELD_NAMES);
    const messages = result.value.messagesSince.map(toV1Message);
    const last = messages.length ? String(messages[messages.length - 1]!.id) : afterId;
    v1Success(res, 200, 'Messages retrieved successfully', messages, {
      count: messages.length,
      last_message_id: Number(last),
      has_more: messages.length === V1_POLL_LIMIT,
    });
  };

  const send = async (context: RequestContext, sessionId: string, req: Request, res: Response) => {
    const body = jsonObject(req) ?? {};
    const invalid = stringFields(body, ['message'], ['client_message_id']);
    if (invalid) return v1Failure(res, 'VALIDATION_FAILED', 'The given data was invalid.', invalid);
    const result = await runner.run(context, V1SendMessageDocument, {
      sessionId,
      content: body.message as string,
      clientMessageId: (body.client_message_id as string | undefined) ?? null,
    });
    if (!result.ok) return v1OperationFailure(res, result.error, FIELD_NAMES);
    const { created, message } = result.value.sendMessage;
    v1Success(res, created ? 201 : 200, created ? 'Message sent successfully' : 'Message already sent', toV1Message(message));
  };

  /** Seed 003. No auth; a repeated session_id returns the existing session (200) with its latest messages. */
  router.post(
    '/guest/session',
    route(async (req, res) => {
      const body = jsonObject(req) ?? {};
      const invalid = stringFields(body, ['session_id'], ['guest_name', 'guest_email', 'guest_phone']);
      if (invalid) return v1Failure(res, 'VALIDATION_FAILED', 'The given data was invalid.', invalid);
      const context = await contextOf(req, res);
      if (!context) return;
      const result = await runner.run(context, V1CreateGuestSessionDocument, {
        sessionKey: body.session_id as string,
        guestName: (body.guest_name as string | undefined) ?? null,
        guestEmail: (body.guest_email as string | undefined) ?? null,
        guestPhone: (body.guest_phone as string | undefined) ?? null,
      });
      if (!result.ok) return v1OperationFailure(res, result.error, FIELD_NAMES);
      const { created, token, session, messages } = result.value.createGuestSession;
      v1Success(res, created ? 201 : 200, created ? 'Session created successfully' : 'Session already exists', {
        session: toV1Session(session),
        messages: messages.map(toV1Message),
        token,
      });
    }, fail),
  );

  /** The guest's session by its own session_id; the guest token decides access. */
  const guestSessionId = async (context: RequestContext, req: Request, res: Response): Promise<string | null> => {
    const result = await runner.run(context, V1SessionByKeyDocument, { sessionKey: String(req.params.sessionId) });
    if (result.ok) return result.value.sessionByKey.id;
    v1OperationFailure(res, result.error.code === 'BAD_USER_INPUT' ? { ...result.error, code: 'NOT_FOUND' } : result.error, FIELD_NAMES);
    return null;
  };

  router.get(
    '/guest/session/:sessionId/messages',
    route(async (req, res) => {
      const context = await contextOf(req, res);
      if (!context) return;
      const afterId = lastMessageId(req, res);
      if (afterId === null) return;
      const sessionId = await guestSessionId(context, req, res);
      if (sessionId !== null) await poll(context, sessionId, afterId, res);
    }, fail),
  );

  router.post(
    '/guest/session/:sessionId/messages',
    route(async (req, res) => {
      const context = await contextOf(req, res);
      if (!context) return;
      const sessionId = await guestSessionId(context, req, res);
      if (sessionId !== null) await send(context, sessionId, req, res);
    }, fail),
  );

  /** Seed 000: staff polls a session assigned to them; 403 when it is not. */
  router.get(
    '/sessions/:id/messages',
    route(async (req, res) => {
      const context = await staffContext(req, res);
      if (!context) return;
      const afterId = lastMessageId(req, res);
      if (afterId === null) return;
      const id = String(req.params.id);
      if (!isId(id)) return v1Failure(res, 'NOT_FOUND', `Session ${id} not found`);
      await poll(context, id, afterId, res);
    }, fail),
  );

  router.post(
    '/sessions/:id/messages',
    route(async (req, res) => {
      const context = await staffContext(req, res);
      if (!context) return;
      const id = String(req.params.id);
      if (!isId(id)) return v1Failure(res, 'NOT_FOUND', `Session ${id} not found`);
      await send(context, id, req, res);
    }, fail),
  );

  router.use((req, res) => v1Failure(res, 'NOT_FOUND', `No route ${req.method} ${req.baseUrl}${req.path}`));
  return router;
}
