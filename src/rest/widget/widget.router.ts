import { type Request, type RequestHandler, Router } from 'express';
import type { RequestContext } from '../../app/context.js';
import { isUuid } from '../../shared/validate.js';
import { type DialectErrors, dialectRoutes, type RouteCall } from '../common/dialect-routes.js';
import { jsonBody, jsonObject, queryParam } from '../common/http.js';
import type { RestDeps } from '../common/rest.types.js';
import { type RestMessageFragment, WidgetMessagesDocument, WidgetSendMessageDocument, WidgetStartSessionDocument } from '../generated/graphql.js';
import { type ValidationIssue, widgetDetail, widgetInvalid, widgetOperationFailure } from './widget.errors.js';

export const WIDGET_BODY_LIMIT = '32kb';
export const WIDGET_DEFAULT_LIMIT = 50;
export const WIDGET_MAX_LIMIT = 100;

export interface WidgetMessage {
  id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  metadata: Record<string, unknown>;
  created_at: string;
}

/** "2025-01-01T00:00:00+00:00", as the seed's example (Python's isoformat of a UTC time, whole seconds). */
export function widgetTime(value: string): string {
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The visitor is "user"; every reply (support staff or a bot) is "assistant"; system notes are "system". */
export function toWidgetMessage(message: RestMessageFragment): WidgetMessage {
  const role = message.senderType === 'USER' ? 'user' : message.senderType === 'SYSTEM' ? 'system' : 'assistant';
  return { id: message.uuid, role, content: message.content, metadata: message.metadata, created_at: widgetTime(message.createdAt) };
}

/**
 * The widget runs on the tenants' own sites, so its routes answer cross-origin requests. The
 * origin is reflected without credentials: these routes authenticate with a bearer token, never
 * a cookie, so CORS grants a page nothing its token does not; the origin check that matters is
 * at `POST /widget/session`, against the tenant's allowed origins.
 */
const widgetCors: RequestHandler = (req, res, next) => {
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  }
  if (req.method !== 'OPTIONS') return next();
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
  res.setHeader('Access-Control-Max-Age', '600');
  res.status(204).end();
};

/** FastAPI's integer query validation: a whole number within [min, max]. */
function integerQuery(req: Request, name: string, fallback: number, min: number, max: number | null, issues: ValidationIssue[]): number {
  const raw = queryParam(req, name);
  if (raw === undefined) return fallback;
  if (!/^[+-]?\d{1,15}$/.test(raw.trim())) {
    issues.push({ loc: ['query', name], msg: 'value is not a valid integer', type: 'type_error.integer' });
    return fallback;
  }
  const value = Number(raw.trim());
  if (value < min) issues.push({ loc: ['query', name], msg: `ensure this value is greater than or equal to ${min}`, type: 'value_error.number.not_ge', ctx: { limit_value: min } });
  else if (max !== null && value > max) issues.push({ loc: ['query', name], msg: `ensure this value is less than or equal to ${max}`, type: 'value_error.number.not_le', ctx: { limit_value: max } });
  return value;
}

const widgetErrors: DialectErrors = {
  // Operations' input errors are placed by each route (body or query); a refused token is the header's.
  operation: (res, error) => widgetOperationFailure(res, error, 'header'),
  internal: (res) => widgetDetail(res, 'internal_error'),
};

/** `require_widget_session`: a bearer widget token, valid, scoped to a conversation. */
async function widgetCaller(call: RouteCall): Promise<RequestContext | null> {
  const header = call.req.headers.authorization;
  if (header === undefined || header.trim() === '') {
    widgetDetail(call.res, 'missing_authorization');
    return null;
  }
  const context = await call.caller();
  if (context && context.viewer.kind !== 'guest') {
    // A staff or user access token carries no conversation claim.
    widgetDetail(call.res, 'invalid_claims');
    return null;
  }
  return context;
}

function conversationParam(req: Request, issues: ValidationIssue[]): string {
  const id = String(req.params.id);
  if (!isUuid(id)) issues.push({ loc: ['path', 'id'], msg: 'value is not a valid uuid', type: 'type_error.uuid' });
  return id.toLowerCase();
}

/** Body `{"widget_key": "..."}`; the browser's Origin header must be one of the tenant's allowed origins. */
async function startSession(call: RouteCall): Promise<void> {
  const { req, res } = call;
  const body = jsonObject(req);
  const widgetKey = body?.widget_key;
  if (body === null) return widgetInvalid(res, [{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }]);
  if (widgetKey === undefined || widgetKey === null) return widgetInvalid(res, [{ loc: ['body', 'widget_key'], msg: 'field required', type: 'value_error.missing' }]);
  if (typeof widgetKey !== 'string') return widgetInvalid(res, [{ loc: ['body', 'widget_key'], msg: 'str type expected', type: 'type_error.str' }]);
  const result = await call.outcome(WidgetStartSessionDocument, { widgetKey, origin: req.headers.origin ?? null });
  if (!result) return;
  if (!result.ok) return widgetOperationFailure(res, result.error, 'body', { widgetKey: 'widget_key' });
  const { token, conversationId } = result.value.startWidgetSession;
  res.status(201).json({ token, conversation_id: conversationId });
}

/** Offset paging in `created_at ASC, id ASC` order; `has_more` from fetching limit + 1. */
async function listMessages(call: RouteCall): Promise<void> {
  const { req, res } = call;
  if (!(await widgetCaller(call))) return;
  const issues: ValidationIssue[] = [];
  const conversationId = conversationParam(req, issues);
  const limit = integerQuery(req, 'limit', WIDGET_DEFAULT_LIMIT, 1, WIDGET_MAX_LIMIT, issues);
  const offset = integerQuery(req, 'offset', 0, 0, null, issues);
  if (issues.length) return widgetInvalid(res, issues);
  const result = await call.outcome(WidgetMessagesDocument, { conversationId, limit, offset });
  if (!result) return;
  if (!result.ok) return widgetOperationFailure(res, result.error, 'query');
  const page = result.value.messagesPage;
  res.json({ conversation_id: conversationId, messages: page.items.map(toWidgetMessage), paging: { limit, offset, has_more: page.hasMore } });
}

/** The visitor's message: `{content, metadata?, client_message_id?}` → 201 with the message. */
async function sendMessage(call: RouteCall): Promise<void> {
  const { req, res } = call;
  if (!(await widgetCaller(call))) return;
  const issues: ValidationIssue[] = [];
  const conversationId = conversationParam(req, issues);
  const body = jsonObject(req);
  if (body === null) issues.push({ loc: ['body'], msg: 'field required', type: 'value_error.missing' });
  else {
    const { content, metadata, client_message_id: clientMessageId } = body;
    if (content === undefined || content === null) issues.push({ loc: ['body', 'content'], msg: 'field required', type: 'value_error.missing' });
    else if (typeof content !== 'string') issues.push({ loc: ['body', 'content'], msg: 'str type expected', type: 'type_error.str' });
    if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
      issues.push({ loc: ['body', 'metadata'], msg: 'value is not a valid dict', type: 'type_error.dict' });
    }
    if (clientMessageId !== undefined && clientMessageId !== null && typeof clientMessageId !== 'string') {
      issues.push({ loc: ['body', 'client_message_id'], msg: 'str type expected', type: 'type_error.str' });
    }
  }
  if (issues.length) return widgetInvalid(res, issues);
  const result = await call.outcome(WidgetSendMessageDocument, {
    conversationId,
    content: body!.content as string,
    metadata: (body!.metadata as Record<string, unknown> | null | undefined) ?? null,
    clientMessageId: (body!.client_message_id as string | null | undefined) ?? null,
  });
  if (!result) return;
  if (!result.ok) return widgetOperationFailure(res, result.error, 'body', { clientMessageId: 'client_message_id' });
  res.status(201).json(toWidgetMessage(result.value.sendMessage.message));
}

/**
 * The widget dialect (seed 002 and its earlier stages): start a conversation with the tenant's
 * widget key, read its history with offset paging, post the visitor's messages.
 */
export function widgetRouter({ runner, logger }: RestDeps): Router {
  const router = Router();
  router.use(widgetCors);
  router.use(
    ...jsonBody(WIDGET_BODY_LIMIT, (res, failure) => {
      if (failure.kind === 'too_large') return widgetDetail(res, 'payload_too_large');
      if (failure.kind === 'unsupported_type') return widgetDetail(res, 'unsupported_media_type');
      widgetInvalid(res, [{ loc: ['body', 0], msg: 'Expecting value: the body is not valid JSON', type: 'value_error.jsondecode' }]);
    }),
  );
  const routes = dialectRoutes(router, { name: 'widget', runner, logger, errors: widgetErrors });
  routes.post('/session', startSession);
  routes.get('/conversations/:id/messages', listMessages);
  routes.post('/conversations/:id/messages', sendMessage);
  router.use((_req, res) => {
    res.status(404).json({ detail: 'Not Found' });
  });
  return router;
}
