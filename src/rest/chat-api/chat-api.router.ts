import { type Response, Router } from 'express';
import { encodeCursor } from '../../messages/cursor.js';
import { isId, isSessionRef } from '../../shared/validate.js';
import { type DialectErrors, type DialectRoutes, dialectRoutes, type RouteCall } from '../common/dialect-routes.js';
import { jsonBody, jsonObject, parseCount, queryParam } from '../common/http.js';
import type { RestDeps } from '../common/rest.types.js';
import {
  ChatApiAssignAgentDocument,
  ChatApiCloseSessionDocument,
  ChatApiCreateSessionDocument,
  ChatApiMarkReadDocument,
  ChatApiMessagesDocument,
  ChatApiRateSessionDocument,
  ChatApiSendMessageDocument,
  ChatApiSessionDocument,
  ChatApiSessionRatingDocument,
  ChatApiSessionsDocument,
  ChatApiSetTypingDocument,
  ChatApiStatsDocument,
  type Priority,
  type RestRatingFragment,
  type RestSessionFragment,
} from '../generated/graphql.js';
import { chatApiFailure } from './chat-api.errors.js';
import { chatApiMultipartSend } from './chat-api.multipart.js';
import { toChatApiMessage, toChatApiSession } from './chat-api.shapes.js';

/** JSON bodies of this dialect are small; attachments come as multipart (see POST .../messages). */
export const CHAT_API_BODY_LIMIT = '64kb';
export const CHAT_API_DEFAULT_MESSAGE_LIMIT = 50;

const PRIORITIES: Record<string, Priority> = { low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };
/** The seed knows two statuses: "active" is every open session, a snoozed one included (it shows as active too). */
const STATUSES: Record<string, boolean> = { active: true, closed: false };

/** Writes the dialect's error body for a domain code (chat-api.errors.ts). */
export function chatApiError(res: Response, code: string, message: string): void {
  const failure = chatApiFailure(code, message);
  res.status(failure.status).json(failure.body);
}

/** The dialect's one 429 writer (the rate limiter calls it). */
export function chatApiRateLimited(res: Response): void {
  chatApiError(res, 'RATE_LIMITED', 'Too many requests');
}

const toSession = (session: RestSessionFragment) => toChatApiSession({ ...session, customerId: session.customer?.id ?? null, agentId: session.agent?.id ?? null });

const chatApiErrors: DialectErrors = {
  operation: (res, error) => chatApiError(res, error.code, error.message),
  internal: (res) => chatApiError(res, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
};

/** `{sessionId}` is a numeric id or a session UUID; anything else names no session (404, written here). */
function sessionParam({ req, res }: RouteCall): string | null {
  const id = String(req.params.sessionId);
  if (isSessionRef(id)) return id;
  chatApiError(res, 'NOT_FOUND', `Chat session ${id} not found`);
  return null;
}

/**
 * The chat API dialect (seed 001): support sessions (rooms belong to the rooms dialect),
 * messages, read marks, typing and stats. Its attachment download and legacy WebSocket live
 * beside this file (chat-api.download.ts, chat-api.ws.ts).
 */
export function chatApiRouter({ runner, logger, uploads, storage }: RestDeps): Router {
  const router = Router();
  /** Multipart sends (content + attachments[i]) arrive before the JSON parser, which would ignore them. */
  router.post('/sessions/:sessionId/messages', chatApiMultipartSend(runner, uploads, storage, logger, isSessionRef));
  router.use(
    ...jsonBody(CHAT_API_BODY_LIMIT, (res, failure) => {
      if (failure.kind === 'too_large') return chatApiError(res, 'PAYLOAD_TOO_LARGE', `The request body may be at most ${CHAT_API_BODY_LIMIT}`);
      if (failure.kind === 'unsupported_type')
        return chatApiError(res, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json (or multipart/form-data to attach files to a message)');
      chatApiError(res, 'BAD_REQUEST', 'The request body is not valid JSON');
    }),
  );
  const routes = dialectRoutes(router, { name: 'chat API', runner, logger, errors: chatApiErrors });
  sessionRoutes(routes);
  messageRoutes(routes);
  ratingRoutes(routes);
  routes.get('/stats', async (call) => {
    const data = await call.run(ChatApiStatsDocument, {});
    if (data) call.res.json(data.stats);
  });
  // Anything else under /api/chat (rooms and attachment downloads are mounted before this
  // router) answers in this dialect's body, not the server's generic one.
  router.use((_req, res) => chatApiError(res, 'NOT_FOUND', 'No such route'));
  return router;
}

function sessionRoutes(routes: DialectRoutes): void {
  routes.get('/sessions', async (call) => {
    const { req, res } = call;
    const statusText = queryParam(req, 'status');
    const pageText = queryParam(req, 'page');
    const limitText = queryParam(req, 'limit');
    const open = statusText === undefined || statusText === '' ? null : STATUSES[statusText.toLowerCase()];
    if (open === undefined) return chatApiError(res, 'BAD_REQUEST', 'status must be "active" or "closed"');
    const page = pageText === undefined ? null : parseCount(pageText);
    if (page === null && pageText !== undefined) return chatApiError(res, 'BAD_REQUEST', 'page must be a number');
    const limit = limitText === undefined ? null : parseCount(limitText);
    if (limit === null && limitText !== undefined) return chatApiError(res, 'BAD_REQUEST', 'limit must be a number');
    const data = await call.run(ChatApiSessionsDocument, { filter: { kind: 'SUPPORT', open }, page, limit });
    if (data) res.json({ sessions: data.sessions.items.map(toSession), totalCount: data.sessions.totalCount });
  });

  routes.get('/sessions/:sessionId', async (call) => {
    const id = sessionParam(call);
    const data = id === null ? undefined : await call.run(ChatApiSessionDocument, { id });
    if (data) call.res.json(toSession(data.session));
  });

  routes.post('/sessions', async (call) => {
    const { req, res } = call;
    const { subject, priority, tags, userId } = jsonObject(req) ?? {};
    if (subject !== undefined && subject !== null && typeof subject !== 'string') return chatApiError(res, 'BAD_REQUEST', 'subject must be a string');
    if (priority !== undefined && priority !== null && (typeof priority !== 'string' || !PRIORITIES[priority])) {
      return chatApiError(res, 'BAD_REQUEST', 'priority must be "low", "medium" or "high"');
    }
    if (tags !== undefined && tags !== null && (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string'))) {
      return chatApiError(res, 'BAD_REQUEST', 'tags must be an array of strings');
    }
    if (userId !== undefined && userId !== null && typeof userId !== 'string' && !Number.isInteger(userId)) {
      return chatApiError(res, 'BAD_REQUEST', 'userId must be a string');
    }
    const data = await call.run(ChatApiCreateSessionDocument, {
      subject: (subject as string | null | undefined) ?? null,
      priority: typeof priority === 'string' ? PRIORITIES[priority]! : 'MEDIUM',
      tags: (tags as string[] | null | undefined) ?? null,
      userId: userId === undefined || userId === null ? null : String(userId),
    });
    if (data) res.status(201).json(toSession(data.createSession));
  });

  routes.put('/sessions/:sessionId/close', async (call) => {
    const id = sessionParam(call);
    const data = id === null ? undefined : await call.run(ChatApiCloseSessionDocument, { sessionId: id });
    if (data) call.res.json(toSession(data.closeSession));
  });

  routes.put('/sessions/:sessionId/assign', async (call) => {
    const id = sessionParam(call);
    if (id === null) return;
    const agentId = jsonObject(call.req)?.agentId;
    if (!(typeof agentId === 'string' && agentId.trim() !== '') && !Number.isInteger(agentId)) return chatApiError(call.res, 'BAD_REQUEST', 'agentId is required');
    const data = await call.run(ChatApiAssignAgentDocument, { sessionId: id, agentId: String(agentId).trim() });
    if (data) call.res.json(toSession(data.assignAgent));
  });
}

function messageRoutes(routes: DialectRoutes): void {
  /**
   * The newest `limit` messages before the message `before` (or the newest overall), returned
   * oldest first so a client can prepend the page as it is; `hasMore` says older ones remain.
   */
  routes.get('/sessions/:sessionId/messages', async (call) => {
    const { req, res } = call;
    const id = sessionParam(call);
    if (id === null) return;
    const beforeText = queryParam(req, 'before');
    const limitText = queryParam(req, 'limit');
    if (beforeText !== undefined && !isId(beforeText)) return chatApiError(res, 'BAD_REQUEST', 'before must be a message id');
    const limit = limitText === undefined ? CHAT_API_DEFAULT_MESSAGE_LIMIT : parseCount(limitText);
    if (limit === null) return chatApiError(res, 'BAD_REQUEST', 'limit must be a number');
    const result = await call.outcome(ChatApiMessagesDocument, { sessionId: id, last: limit, before: beforeText === undefined ? null : encodeCursor(beforeText) });
    if (!result) return;
    if (!result.ok) {
      // The page size travels as the connection's `last`; the caller named it `limit`.
      const sizeError = result.error.fields?.last;
      return sizeError ? chatApiError(res, 'BAD_REQUEST', sizeError.replace(/^last\b/, 'limit')) : call.fail(result.error);
    }
    const { edges, totalCount, pageInfo } = result.value.messages;
    res.json({ messages: edges.map((edge) => toChatApiMessage(edge.node)), totalCount, hasMore: pageInfo.hasPreviousPage });
  });

  routes.post('/sessions/:sessionId/messages', async (call) => {
    const id = sessionParam(call);
    if (id === null) return;
    const content = jsonObject(call.req)?.content;
    if (typeof content !== 'string') return chatApiError(call.res, 'BAD_REQUEST', 'content must be a string');
    const data = await call.run(ChatApiSendMessageDocument, { sessionId: id, content });
    if (data) call.res.status(201).json(toChatApiMessage(data.sendMessage.message));
  });

  routes.put('/sessions/:sessionId/read', async (call) => {
    const id = sessionParam(call);
    if (id === null) return;
    const messageIds = jsonObject(call.req)?.messageIds;
    if (!Array.isArray(messageIds) || messageIds.some((value) => typeof value !== 'string' && !Number.isInteger(value))) {
      return chatApiError(call.res, 'BAD_REQUEST', 'messageIds must be an array of message ids');
    }
    const data = await call.run(ChatApiMarkReadDocument, { sessionId: id, messageIds: messageIds.map(String) });
    if (data) call.res.status(204).end();
  });

  routes.post('/sessions/:sessionId/typing', async (call) => {
    const id = sessionParam(call);
    if (id === null) return;
    const isTyping = jsonObject(call.req)?.isTyping;
    if (typeof isTyping !== 'boolean') return chatApiError(call.res, 'BAD_REQUEST', 'isTyping must be a boolean');
    const data = await call.run(ChatApiSetTypingDocument, { sessionId: id, isTyping });
    if (data) call.res.status(204).end();
  });
}

const toRating = (rating: RestRatingFragment) => ({
  id: rating.id,
  sessionId: rating.sessionId,
  score: rating.score,
  comment: rating.comment ?? null,
  agentId: rating.agentId ?? null,
  createdAt: rating.createdAt,
});

/** CSAT: the customer rates a closed session once; the customer, its agent and admins read the rating. */
function ratingRoutes(routes: DialectRoutes): void {
  routes.post('/sessions/:sessionId/rating', async (call) => {
    const id = sessionParam(call);
    if (id === null) return;
    const { score, comment } = jsonObject(call.req) ?? {};
    if (!Number.isInteger(score)) return chatApiError(call.res, 'BAD_REQUEST', 'score must be an integer from 1 to 5');
    if (comment !== undefined && comment !== null && typeof comment !== 'string') return chatApiError(call.res, 'BAD_REQUEST', 'comment must be a string');
    const data = await call.run(ChatApiRateSessionDocument, { sessionId: id, score: score as number, comment: (comment as string | null | undefined) ?? null });
    if (data) call.res.status(201).json(toRating(data.rateSession));
  });

  routes.get('/sessions/:sessionId/rating', async (call) => {
    const id = sessionParam(call);
    const data = id === null ? undefined : await call.run(ChatApiSessionRatingDocument, { id });
    if (!data) return;
    if (!data.session.rating) return chatApiError(call.res, 'NOT_FOUND', 'The session has no rating you may read');
    call.res.json(toRating(data.session.rating));
  });
}
