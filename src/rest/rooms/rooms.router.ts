import { type Request, type Response, Router } from 'express';
import { isId } from '../../shared/validate.js';
import { type DialectErrors, dialectRoutes, type RouteCall } from '../common/dialect-routes.js';
import { isUndeclaredBody, jsonBody, jsonObject, queryParam } from '../common/http.js';
import { absoluteLink, type LinkConfig } from '../common/public-url.js';
import type { RestDeps } from '../common/rest.types.js';
import { RoomsMessagesDocument, type RoomsMessagesQueryVariables, RoomsRoomDocument, RoomsSendMessageDocument } from '../generated/graphql.js';
import { DRF, drfDetail, drfFields, roomsOperationFailure } from './rooms.errors.js';
import { decodeRoomCursor, encodeRoomCursor, type RoomCursor, toRoomMessage } from './rooms.shapes.js';

export const ROOMS_BODY_LIMIT = '64kb';
export const ROOMS_DEFAULT_PAGE_SIZE = 50;
export const ROOMS_MAX_PAGE_SIZE = 100;

const TRUE_VALUES = new Set<unknown>([true, 1, 'true', 'True', 'TRUE', 't', 'T', 'yes', 'Yes', 'YES', 'y', 'Y', 'on', 'On', 'ON', '1']);
const FALSE_VALUES = new Set<unknown>([false, 0, 'false', 'False', 'FALSE', 'f', 'F', 'no', 'No', 'NO', 'n', 'N', 'off', 'Off', 'OFF', '0']);

/** DRF CursorPagination's page size: a positive integer capped at the maximum; anything else is the default. */
function pageSize(req: Request): number {
  const raw = queryParam(req, 'page_size');
  if (raw === undefined || !/^\d{1,9}$/.test(raw.trim())) return ROOMS_DEFAULT_PAGE_SIZE;
  const value = Number(raw.trim());
  return value === 0 ? ROOMS_DEFAULT_PAGE_SIZE : Math.min(value, ROOMS_MAX_PAGE_SIZE);
}

/**
 * DRF's PrimaryKeyRelatedField on input: an integer (or its digits as a string); null, booleans
 * and anything else are refused with its messages. Whether the user exists is the service's check.
 */
function senderIdOf(value: unknown): { senderId: string | null } | { error: string } {
  if (value === undefined) return { senderId: null };
  if (value === null) return { error: DRF.isNull };
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { senderId: String(value) };
  if (typeof value === 'string' && /^\d{1,18}$/.test(value.trim())) return { senderId: value.trim() };
  const received = typeof value === 'string' ? 'str' : typeof value === 'boolean' ? 'bool' : typeof value === 'number' ? 'float' : Array.isArray(value) ? 'list' : 'dict';
  return { error: `Incorrect type. Expected pk value, received ${received}.` };
}

/** DRF's MessageSerializer on the POST body: either what to send, or how to reject the request. */
function validateMessageBody(req: Request): { content: string; senderId: string | null } | { reject: (res: Response) => void } {
  // DRF's UnsupportedMediaType, which names an absent type as "".
  if (isUndeclaredBody(req)) return { reject: (res) => drfDetail(res, 415, `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.`) };
  const body = req.body === undefined ? {} : jsonObject(req);
  if (body === null) {
    const got = Array.isArray(req.body) ? 'list' : req.body === null ? 'NoneType' : typeof req.body === 'string' ? 'str' : typeof req.body === 'boolean' ? 'bool' : 'int';
    return { reject: (res) => drfFields(res, { non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`] }) };
  }
  const errors: Record<string, string[]> = {};
  let content = body.content;
  if (content === undefined) errors.content = [DRF.required];
  else if (content === null) errors.content = [DRF.isNull];
  else if (typeof content === 'number' && Number.isFinite(content)) content = String(content);
  else if (typeof content !== 'string') errors.content = [DRF.notAString];
  if (typeof content === 'string' && content.trim() === '' && !errors.content) errors.content = [DRF.blank];
  if (body.is_read !== undefined && !TRUE_VALUES.has(body.is_read) && !FALSE_VALUES.has(body.is_read)) errors.is_read = [DRF.invalidBoolean];
  const sender = senderIdOf(body.sender_id);
  if ('error' in sender) errors.sender_id = [sender.error];
  if (Object.keys(errors).length) return { reject: (res) => drfFields(res, errors) };
  return { content: content as string, senderId: 'senderId' in sender ? sender.senderId : null };
}

/** The request's own URL with `cursor` replaced, absolute as DRF builds next/previous links (see absoluteLink). */
function pageUrl(req: Request, cursor: RoomCursor, links: LinkConfig): string {
  // The request's path and query only: the placeholder origin is dropped again.
  const url = new URL(req.originalUrl, 'http://placeholder');
  url.searchParams.set('cursor', encodeRoomCursor(cursor));
  return absoluteLink(req, `${url.pathname}${url.search}`, links);
}

const roomsErrors: DialectErrors = {
  operation: roomsOperationFailure,
  internal: (res) => drfDetail(res, 500, DRF.serverError),
};

/**
 * What both routes check first, in DRF's order: `<int:chat_room_id>` (anything else does not
 * match the route: 404), then an Authorization header (none at all is "not provided", 401; a bad
 * one fails authentication when the operation runs). The room id, or null once refused.
 */
function roomOf({ req, res }: RouteCall): string | null {
  const id = String(req.params.roomId);
  if (!isId(id)) {
    drfDetail(res, 404, DRF.notFound);
    return null;
  }
  const header = req.headers.authorization;
  if (header !== undefined && header.trim() !== '') return id;
  drfDetail(res, 401, DRF.notAuthenticated);
  return null;
}

/** Newest first, by an opaque cursor; `next` goes to older messages, `previous` back to newer ones. */
const listMessages = (links: LinkConfig) => async (call: RouteCall) => {
  const { req, res } = call;
  const id = roomOf(call);
  if (id === null) return;
  const size = pageSize(req);
  const cursorText = queryParam(req, 'cursor');
  const cursor = cursorText === undefined ? null : decodeRoomCursor(cursorText);
  if (cursorText !== undefined && cursor === null) return drfDetail(res, 404, DRF.invalidCursor);
  const variables: RoomsMessagesQueryVariables = cursor?.direction === 'newer' ? { roomId: id, first: size, after: cursor.cursor } : { roomId: id, last: size, before: cursor?.cursor ?? null };
  const data = await call.run(RoomsMessagesDocument, variables);
  if (!data) return;
  const { edges, pageInfo } = data.roomMessages;
  // GraphQL pages are oldest first: hasPreviousPage means older messages exist, hasNextPage newer ones.
  const older = pageInfo.hasPreviousPage && pageInfo.startCursor ? pageUrl(req, { direction: 'older', cursor: pageInfo.startCursor }, links) : null;
  const newer = pageInfo.hasNextPage && pageInfo.endCursor ? pageUrl(req, { direction: 'newer', cursor: pageInfo.endCursor }, links) : null;
  res.json({ next: older, previous: newer, results: edges.map((edge) => toRoomMessage(edge.node)).reverse() });
};

/**
 * `{content, is_read?}` → 201. `is_read` is validated as DRF's BooleanField and otherwise
 * has no effect: read state is derived from the other members' read watermarks, and a
 * message no one else has read yet is reported as `is_read: false` whatever its sender says.
 */
async function sendMessage(call: RouteCall): Promise<void> {
  const { req, res } = call;
  const id = roomOf(call);
  if (id === null) return;
  const parsed = validateMessageBody(req);
  if ('reject' in parsed) {
    // DRF checks permissions before it reads the body: a non-member learns nothing from validation.
    const room = await call.run(RoomsRoomDocument, { roomId: id });
    if (room) parsed.reject(res);
    return;
  }
  const { content, senderId } = parsed;
  const result = await call.outcome(RoomsSendMessageDocument, { roomId: id, content, senderId });
  if (!result) return;
  if (!result.ok) {
    if (result.error.reason === 'SENDER_NOT_FOUND') return drfFields(res, { sender_id: [`Invalid pk "${senderId}" - object does not exist.`] });
    return call.fail(result.error);
  }
  res.status(201).json(toRoomMessage(result.value.sendRoomMessage.message));
}

/**
 * The rooms dialect (seed 004), DRF style: `GET|POST /api/chat/rooms/{id}/messages/` (the
 * trailing slash is part of the path).
 */
export function roomsRouter({ runner, logger, links }: RestDeps): Router {
  const router = Router({ strict: true });
  router.use(
    ...jsonBody(
      ROOMS_BODY_LIMIT,
      (res, failure) => (failure.kind === 'too_large' ? drfDetail(res, 413, 'Request body is too large.') : drfDetail(res, 400, 'JSON parse error - the body is not valid JSON.')),
      // The media type is checked by the serializer, after permissions (as DRF parses lazily).
      { checkType: false },
    ),
  );
  const routes = dialectRoutes(router, { name: 'rooms', runner, logger, errors: roomsErrors });
  routes.get('/:roomId/messages/', listMessages(links));
  routes.post('/:roomId/messages/', sendMessage);
  router.all('/:roomId/messages/', (req, res) => {
    res.setHeader('Allow', 'GET, POST, HEAD');
    drfDetail(res, 405, `Method "${req.method}" not allowed.`);
  });
  router.use((_req, res) => drfDetail(res, 404, DRF.notFound));
  return router;
}
