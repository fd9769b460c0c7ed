import { Router, type Request, type Response } from 'express';
import { encodeCursor } from '../../messages/cursor.js';
import {
  ChatApiAssignAgentDocument,
  ChatApiCloseSessionDocument,
  ChatApiCreateSessionDocument,
  ChatApiMarkReadDocument,
  ChatApiMessagesDocument,
  ChatApiSendMessageDocument,
  ChatApiSessionDocument,
  ChatApiSessionsDocument,
  ChatApiSetTypingDocument,
  ChatApiStatsDocument,
  type Priority,
  type RestSessionFragment,
  type SessionStatus,
} from '../generated/graphql.js';
import { jsonBody, jsonObject, parseCount, queryParam, route } from '../http.js';
import type { OperationError } from '../operation-runner.js';
import { isId, isSessionRef } from '../../shared/validate.js';
import type { RestDeps } from '../rest.types.js';
import { chatApiFailure } from './chat-api.errors.js';
import { chatApiMultipartSend } from './chat-api.multipart.js';
import { toChatApiMessage, toChatApiSession } from './chat-api.shapes.js';

/** JSON bodies of this dialect are small; attachments come as multipart (see POST .../messages). */
export const CHAT_API_BODY_LIMIT = '64kb';
export const CHAT_API_DEFAULT_MESSAGE_LIMIT = 50;

const PRIORITIES: Record<string, Priority> = { low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };
const STATUSES: Record<string, SessionStatus> = { active: 'ACTIVE', closed: 'CLOSED' };

/** Writes the dialect's error body for a domain code (chat-api.errors.ts). */
export function chatApiError(res: Response, code: string, message: string): void {
  const failure = chatApiFailure(code, message);
  res.status(failure.status).json(failure.body);
}

/** The dialect's one 429 writer (the rate limiter calls it). */
export function chatApiRateLimited(res: Response): void {
  chatApiError(res, 'RATE_LIMITED', 'Too many requests');
}

const fromOperation = (res: Response, error: OperationError) => chatApiError(res, error.code, error.message);

const toSession = (session: RestSessionFragment) =>
  toChatApiSession({ ...session, customerId: session.customer?.id ?? null, agentId: session.agent?.id ?? null });

/**
 * The chat API dialect (seed 001): support sessions (rooms belong to the rooms dialect),
 * messages, read marks, typing and stats.
 * Not here: attachment download (the attachments module) and the legacy WebSocket (the
 * real-time module).
 */
export function chatApiRouter({ runner, logger, uploads }: RestDeps): Router {
  const router = Router();
  const fail = (res: Response, error: unknown) => {
    logger.error({ err: error }, 'chat API route failed');
    chatApiError(res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  };
  const auth = (req: Request) => req.headers.authorization;

  /** `{sessionId}` is a numeric id or a session UUID; anything else names no session. */
  const sessionParam = (req: Request, res: Response): string | null => {
    const id = String(req.params.sessionId);
    if (isSessionRef(id)) return id;
    chatApiError(res, 'NOT_FOUND', `Chat session ${id} not found`);
    return null;
  };

  /** Multipart sends (content + attachments[i]) arrive before the JSON parser, which would ignore them. */
  router.post('/sessions/:sessionId/messages', chatApiMultipartSend(runner, uploads, logger, isSessionRef));
  router.use(
    ...jsonBody(CHAT_API_BODY_LIMIT, (res, failure) => {
      if (failure.kind === 'too_large') return chatApiError(res, 'PAYLOAD_TOO_LARGE', `The request body may be at most ${CHAT_API_BODY_LIMIT}`);
      if (failure.kind === 'unsupported_type') return chatApiError(res, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json (or multipart/form-data to attach files to a message)');
      chatApiError(res, 'BAD_REQUEST', 'The request body is not valid JSON');
    }),
  );

  router.get(
    '/sessions',
    route(async (req, res) => {
      const statusText = queryParam(req, 'status');
      const pageText = queryParam(req, 'page');
      const limitText = queryParam(req, 'limit');
      const status = statusText === undefined || statusText === '' ? null : STATUSES[statusText.toLowerCase()];
      if (status === undefined) return chatApiError(res, 'BAD_REQUEST', 'status must be "active" or "closed"');
      const page = pageText === undefined ? null : parseCount(pageText);
      if (page === null && pageText !== undefined) return chatApiError(res, 'BAD_REQUEST', 'page must be a number');
      const limit = limitText === undefined ? null : parseCount(limitText);
      if (limit === null && limitText !== undefined) return chatApiError(res, 'BAD_REQUEST', 'limit must be a number');
      const result = await runner.runFor(auth(req), ChatApiSessionsDocument, { filter: { kind: 'SUPPORT', status }, page, limit });
      if (!result.ok) return fromOperation(res, result.error);
      res.json({ sessions: result.value.sessions.items.map(toSession), totalCount: result.value.sessions.totalCount });
    }, fail),
  );

  router.get(
    '/sessions/:sessionId',
    route(async (req, res) => {
      const id = sessionParam(req, res);
      if (id === null) return;
      const result = await runner.runFor(auth(req), ChatApiSessionDocument, { id });
      if (!result.ok) return fromOperation(res, result.error);
      res.json(toSession(result.value.session));
    }, fail),
  );

  router.post(
    '/sessions',
    route(async (req, res) => {
      const body = jsonObject(req) ?? {};
      const { subject, priority, tags, userId } = body;
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
      const result = await runner.runFor(auth(req), ChatApiCreateSessionDocument, {
        subject: (subject as string | null | undefined) ?? null,
        priority: typeof priority === 'string' ? PRIORITIES[priority]! : 'MEDIUM',
        tags: (tags as string[] | null | undefined) ?? null,
        userId: userId === undefined || userId === null ? null : String(userId),
      });
      if (!result.ok) return fromOperation(res, result.error);
      res.status(201).json(toSession(result.value.createSession));
    }, fail),
  );

  router.put(
    '/sessions/:sessionId/close',
    route(async (req, res) => {
      const id = sessionParam(req, res);
      if (id === null) return;
      const result = await runner.runFor(auth(req), ChatApiCloseSessionDocument, { sessionId: id });
      if (!result.ok) return fromOperation(res, result.error);
      res.json(toSession(result.value.closeSession));
    }, fail),
  );

  router.put(
    '/sessions/:sessionId/assign',
    route(async (req, res) => {
      const id = sessionParam(req, res);
      if (id === null) return;
      const agentId = jsonObject(req)?.agentId;
      if (!(typeof agentId === 'string' && agentId.trim() !== '') && !Number.isInteger(agentId)) return chatApiError(res, 'BAD_REQUEST', 'agentId is required');
      const result = await runner.runFor(auth(req), ChatApiAssignAgentDocument, { sessionId: id, agentId: String(agentId).trim() });
      if (!result.ok) return fromOperation(res, result.error);
      res.json(toSession(result.value.assignAgent));
    }, fail),
  );

  /**
   * The newest `limit` messages before the message `before` (or the newest overall), returned
   * oldest first so a client can prepend the page as it is; `hasMore` says older ones remain.
   */
  router.get(
    '/sessions/:sessionId/messages',
    route(async (req, res) => {
      const id = sessionParam(req, res);
      if (id === null) return;
      const beforeText = queryParam(req, 'before');
      const limitText = queryParam(req, 'limit');
      if (beforeText !== undefined && !isId(beforeText)) return chatApiError(res, 'BAD_REQUEST', 'before must be a message id');
      const limit = limitText === undefined ? CHAT_API_DEFAULT_MESSAGE_LIMIT : parseCount(limitText);
      if (limit === null) return chatApiError(res, 'BAD_REQUEST', 'limit must be a number');
      const result = await runner.runFor(auth(req), ChatApiMessagesDocument, {
        sessionId: id,
        last: limit,
        before: beforeText === undefined ? null : encodeCursor(beforeText),
      });
      // The page size travels as the connection's `last`; the caller named it `limit`.
      const sizeError = result.ok ? undefined : result.error.fields?.last;
      if (sizeError) return chatApiError(res, 'BAD_REQUEST', sizeError.replace(/^last\b/, 'limit'));
      if (!result.ok) return fromOperation(res, result.error);
      const { edges, totalCount, pageInfo } = result.value.messages;
      res.json({ messages: edges.map((edge) => toChatApiMessage(edge.node)), totalCount, hasMore: pageInfo.hasPreviousPage });
    }, fail),
  );

  router.post(
    '/sessions/:sessionId/messages',
    route(async (req, res) => {
      const id = sessionParam(req, res);
      if (id === null) return;
      const content = jsonObject(req)?.content;
      if (typeof content !== 'string') return chatApiError(res, 'BAD_REQUEST', 'content must be a string');
      const result = await runner.runFor(auth(req), ChatApiSendMessageDocument, { sessionId: id, content });
      if (!result.ok) return fromOperation(res, result.error);
      res.status(201).json(toChatApiMessage(result.value.sendMessage.message));
    }, fail),
  );

  router.put(
    '/sessions/:sessionId/read',
    route(async (req, res) => {
      const id = sessionParam(req, res);
      if (id === null) return;
      const messageIds = jsonObject(req)?.messageIds;
      if (!Array.isArray(messageIds) || messageIds.some((value) => typeof value !== 'string' && !Number.isInteger(value))) {
        return chatApiError(res, 'BAD_REQUEST', 'messageIds must be an array of message ids');
      }
      const result = await runner.runFor(auth(req), ChatApiMarkReadDocument, { sessionId: id, messageIds: messageIds.map(String) });
      if (!result.ok) return fromOperation(res, result.error);
      res.status(204).end();
    }, fail),
  );

  router.post(
    '/sessions/:sessionId/typing',
    route(async (req, res) => {
      const id = sessionParam(req, res);
      if (id === null) return;
      const isTyping = jsonObject(req)?.isTyping;
      if (typeof isTyping !== 'boolean') return chatApiError(res, 'BAD_REQUEST', 'isTyping must be a boolean');
      const result = await runner.runFor(auth(req), ChatApiSetTypingDocument, { sessionId: id, isTyping });
      if (!result.ok) return fromOperation(res, result.error);
      res.status(204).end();
    }, fail),
  );

  router.get(
    '/stats',
    route(async (req, res) => {
      const result = await runner.runFor(auth(req), ChatApiStatsDocument, {});
      if (!result.ok) return fromOperation(res, result.error);
      res.json(result.value.stats);
    }, fail),
  );

  // Anything else under /api/chat (rooms and attachment downloads are mounted before this
  // router) answers in this dialect's body, not the server's generic one.
  router.use((_req, res) => chatApiError(res, 'NOT_FOUND', 'No such route'));

  return router;
}
