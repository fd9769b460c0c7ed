import { MAX_MARK_READ_IDS, MAX_PAGE_SIZE } from '../../messages/message.service.js';
import { GUEST_HISTORY_LIMIT, MAX_TAGS } from '../../sessions/session.service.js';
import {
  MAX_CLIENT_MESSAGE_ID_LENGTH,
  MAX_CONTENT_LENGTH,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_EMAIL_LENGTH,
  MAX_FILE_NAME_LENGTH,
  MAX_PHONE_LENGTH,
  MAX_RATING_COMMENT_LENGTH,
  MAX_SESSION_KEY_LENGTH,
  MAX_SUBJECT_LENGTH,
  MAX_TAG_LENGTH,
  MAX_USERNAME_LENGTH,
} from '../../shared/limits.js';
import { MAX_SCORE, MIN_SCORE } from '../../stats/rating.service.js';

/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 uses) of every REST body: what the dialects accept
 * and everything they answer, errors included. The contract tests validate real responses
 * against these, so a shape change that is not documented here fails a test.
 *
 * Every string, integer and array is bounded (Spectral's OWASP rules), with the limits the
 * services enforce where they enforce one (imported, so the document cannot drift from them).
 */
type Schema = Record<string, unknown>;

/** Free text of at most `max` characters. */
const text = (max: number, extra: Schema = {}): Schema => ({ type: 'string', maxLength: max, ...extra });
/** Short human messages the server writes (error messages, descriptions). */
const str: Schema = text(1000);
/** Database ids: bigint sequence values, as JSON numbers (v1, rooms) or decimal strings (chat API). */
const MAX_ID = Number.MAX_SAFE_INTEGER;
const int: Schema = { type: 'integer', format: 'int64', minimum: 0, maximum: MAX_ID };
const idString: Schema = { type: 'string', pattern: '^[0-9]{1,19}$', maxLength: 19 };
const uuid: Schema = { type: 'string', format: 'uuid', maxLength: 36 };
const bool: Schema = { type: 'boolean' };
const dateTime: Schema = { type: 'string', format: 'date-time', maxLength: 35 };
/** A bearer token (JWS compact serialisation). */
const jwt: Schema = { type: 'string', pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$', maxLength: 4096 };
/** Display names and guest names. */
const name: Schema = text(MAX_DISPLAY_NAME_LENGTH);
const traceId: Schema = { type: 'string', pattern: '^[A-Za-z0-9-]{8,64}$', maxLength: 64 };
const nullable = (schema: Schema): Schema => ({ ...schema, type: [schema.type as string, 'null'] });
const object = (properties: Record<string, Schema>, required = Object.keys(properties), extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
  ...extra,
});
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const arrayOf = (items: Schema, maxItems: number): Schema => ({ type: 'array', items, maxItems });
/** A CSAT score. */
const score: Schema = { type: 'integer', format: 'int32', minimum: MIN_SCORE, maximum: MAX_SCORE, description: '1 (worst) to 5 (best)' };
/** Most files on one message: UPLOAD_MAX_FILES can be raised up to this (src/config/config.ts). */
const MAX_ATTACHMENTS = 100;

/** v1 (seeds 000, 003). */
const v1Envelope = (data: Schema, meta: Schema = { type: 'null' }): Schema =>
  object({ success: { const: true }, message: str, data, meta, trace_id: traceId, timestamp: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$', maxLength: 20 } });

const v1 = {
  V1ChatSessionResource: object({
    id: int,
    session_id: nullable(text(MAX_SESSION_KEY_LENGTH)),
    guest_name: nullable(name),
    status: { enum: ['active', 'closed'] },
    assigned_to: nullable(int),
    started_at: dateTime,
    ended_at: nullable(dateTime),
  }),
  V1ChatMessageResource: object({
    id: int,
    session_id: int,
    sender_type: { enum: ['user', 'support', 'assistant', 'system'] },
    sender_id: { ...nullable(int), description: "The sender's user id; null for guests and system messages" },
    sender_name: name,
    message: text(MAX_CONTENT_LENGTH),
    attachments: { ...arrayOf(ref('ChatAttachment'), MAX_ATTACHMENTS), description: "The message's files, shaped as seed 001's ChatAttachment (the v1 seeds leave the shape open)" },
    is_read: bool,
    created_at: dateTime,
  }),
  V1GuestSessionRequest: object(
    {
      session_id: { type: 'string', minLength: 1, maxLength: MAX_SESSION_KEY_LENGTH, pattern: '^[A-Za-z0-9._:-]+$', description: "The client's own session id" },
      guest_name: nullable(name),
      guest_email: nullable(text(MAX_EMAIL_LENGTH)),
      guest_phone: nullable(text(MAX_PHONE_LENGTH)),
    },
    ['session_id'],
  ),
  V1SendMessageRequest: object(
    { message: { type: 'string', minLength: 1, maxLength: MAX_CONTENT_LENGTH }, client_message_id: nullable(text(MAX_CLIENT_MESSAGE_ID_LENGTH, { description: 'Idempotency key' })) },
    ['message'],
  ),
  V1GuestSessionResponse: v1Envelope(
    object({
      session: ref('V1ChatSessionResource'),
      messages: arrayOf(ref('V1ChatMessageResource'), GUEST_HISTORY_LIMIT),
      token: { ...jwt, description: 'Bearer token scoped to this session, for the guest routes' },
    }),
  ),
  V1MessageListResponse: v1Envelope(
    arrayOf(ref('V1ChatMessageResource'), MAX_PAGE_SIZE),
    object({ count: int, last_message_id: { ...int, description: 'Pass as last_message_id on the next poll' }, has_more: bool }),
  ),
  V1MessageResponse: v1Envelope(ref('V1ChatMessageResource')),
  V1RatingRequest: object({ score, comment: nullable({ type: 'string', maxLength: MAX_RATING_COMMENT_LENGTH }) }, ['score']),
  V1RatingResponse: v1Envelope(object({ id: int, session_id: int, score, comment: nullable(text(MAX_RATING_COMMENT_LENGTH)), created_at: dateTime })),
  V1ErrorResponse: object({
    success: { const: false },
    message: str,
    data: { type: 'null' },
    meta: { type: 'null' },
    trace_id: traceId,
    timestamp: text(20),
    error: object(
      {
        code: { enum: ['VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'RATE_LIMIT_EXCEEDED', 'INTERNAL_ERROR'] },
        fields: { type: 'object', additionalProperties: arrayOf(str, 10), maxProperties: 20, description: 'VALIDATION_FAILED: messages per field' },
      },
      ['code'],
    ),
  }),
};

/** Chat API (seed 001). */
const chatApi = {
  ChatSession: object(
    {
      id: idString,
      userId: { type: 'string', pattern: '^(guest:)?[0-9]{1,19}$', maxLength: 25, description: 'The customer\'s user id; "guest:<sessionId>" for guest sessions' },
      agentId: nullable(idString),
      status: { enum: ['active', 'closed'] },
      startedAt: dateTime,
      endedAt: nullable(dateTime),
      subject: nullable(text(MAX_SUBJECT_LENGTH)),
      priority: { enum: ['low', 'medium', 'high'] },
      tags: arrayOf(text(MAX_TAG_LENGTH), MAX_TAGS),
    },
    ['id', 'userId', 'status', 'startedAt', 'priority'],
  ),
  ChatAttachment: object(
    {
      id: uuid,
      url: text(2048, { format: 'uri-reference' }),
      type: text(255, { pattern: '^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$' }),
      name: text(MAX_FILE_NAME_LENGTH),
      size: { ...int, format: 'int32', maximum: 2_147_483_647 },
      metadata: { type: 'object', properties: { width: { type: 'number' }, height: { type: 'number' }, duration: { type: 'number' } } },
    },
    ['id', 'url', 'type', 'name', 'size'],
  ),
  ChatMessage: object(
    {
      id: idString,
      content: text(MAX_CONTENT_LENGTH),
      sender: { enum: ['user', 'support'] },
      timestamp: dateTime,
      read: bool,
      status: { enum: ['sending', 'sent', 'delivered', 'read', 'failed'] },
      attachments: arrayOf(ref('ChatAttachment'), MAX_ATTACHMENTS),
    },
    ['id', 'content', 'sender', 'timestamp', 'read'],
  ),
  ChatSessionList: object({ sessions: arrayOf(ref('ChatSession'), 100), totalCount: int }),
  ChatMessageList: object({
    messages: { ...arrayOf(ref('ChatMessage'), MAX_PAGE_SIZE), description: 'Oldest first' },
    totalCount: int,
    hasMore: { type: 'boolean', description: 'Older messages exist before this page' },
  }),
  ChatStats: object({
    totalSessions: int,
    activeSessions: int,
    averageResponseTime: { type: 'number', description: 'Minutes' },
    messagesExchanged: int,
  }),
  ChatCreateSessionRequest: object(
    {
      subject: nullable(text(MAX_SUBJECT_LENGTH)),
      priority: { enum: ['low', 'medium', 'high'], default: 'medium' },
      tags: arrayOf(text(MAX_TAG_LENGTH), MAX_TAGS),
      userId: { type: ['string', 'integer'], format: 'int64', minimum: 1, maximum: MAX_ID, maxLength: 19, pattern: '^[0-9]+$', description: 'Admins only: open the session for this customer' },
    },
    [],
  ),
  ChatAssignRequest: object({ agentId: { type: ['string', 'integer'], format: 'int64', minimum: 1, maximum: MAX_ID, maxLength: 19, pattern: '^[0-9]+$' } }),
  ChatSendMessageRequest: object({ content: { type: 'string', minLength: 1, maxLength: MAX_CONTENT_LENGTH } }),
  ChatSendMessageMultipart: object(
    {
      content: { type: 'string', maxLength: MAX_CONTENT_LENGTH, description: 'May be blank when files are attached' },
      attachments: {
        ...arrayOf({ type: 'string', format: 'binary', contentMediaType: 'application/octet-stream', maxLength: 2_147_483_647 }, MAX_ATTACHMENTS),
        description: 'Files in order, as parts named `attachments[0]`, `attachments[1]`, ... (or `attachments` / `attachments[]` repeated). Other fields are ignored',
      },
    },
    [],
  ),
  ChatMarkReadRequest: object({
    messageIds: { ...arrayOf({ type: ['string', 'integer'], format: 'int64', minimum: 1, maximum: MAX_ID, maxLength: 19, pattern: '^[0-9]+$' }, MAX_MARK_READ_IDS), minItems: 1 },
  }),
  ChatTypingRequest: object({ isTyping: bool }),
  ChatRatingRequest: object({ score, comment: nullable({ type: 'string', maxLength: MAX_RATING_COMMENT_LENGTH }) }, ['score']),
  ChatRating: object({
    id: idString,
    sessionId: idString,
    score,
    comment: nullable(text(MAX_RATING_COMMENT_LENGTH)),
    agentId: { ...nullable(idString), description: 'The agent the session had when it was rated' },
    createdAt: dateTime,
  }),
  ChatApiError: object({
    success: { const: false },
    message: str,
    error: object({ code: text(64, { pattern: '^[A-Z_]+$' }), message: str }),
  }),
};

/** Widget (seed 002). */
const widget = {
  WidgetSessionRequest: object({ widget_key: text(128) }),
  WidgetSession: object({ token: { ...jwt, description: 'Widget token: tenant + this conversation' }, conversation_id: uuid }),
  WidgetMessage: object({
    id: uuid,
    role: { enum: ['user', 'assistant', 'system'] },
    content: text(MAX_CONTENT_LENGTH),
    metadata: { type: 'object' },
    created_at: { type: 'string', format: 'date-time', pattern: '\\+00:00$', maxLength: 35 },
  }),
  WidgetMessagePage: object({
    conversation_id: uuid,
    messages: arrayOf(ref('WidgetMessage'), MAX_PAGE_SIZE),
    paging: object({ limit: { ...int, format: 'int32', minimum: 1, maximum: MAX_PAGE_SIZE }, offset: int, has_more: bool }),
  }),
  WidgetSendMessageRequest: object(
    { content: { type: 'string', minLength: 1, maxLength: MAX_CONTENT_LENGTH }, metadata: nullable({ type: 'object' }), client_message_id: nullable(text(MAX_CLIENT_MESSAGE_ID_LENGTH)) },
    ['content'],
  ),
  WidgetDetail: object({
    detail: {
      enum: [
        'missing_authorization',
        'invalid_authorization',
        'invalid_token',
        'token_expired',
        'invalid_claims',
        'conversation_not_found',
        'tenant_mismatch',
        'conversation_mismatch',
        'invalid_widget_key',
        'origin_not_allowed',
        'conversation_closed',
        'payload_too_large',
        'unsupported_media_type',
        'rate_limited',
        'internal_error',
      ],
    },
  }),
  WidgetValidationError: object({
    detail: arrayOf(
      object({ loc: arrayOf({ type: ['string', 'integer'], format: 'int32', minimum: 0, maximum: 1000, maxLength: 100 }, 10), msg: str, type: text(100), ctx: { type: 'object' } }, [
        'loc',
        'msg',
        'type',
      ]),
      50,
    ),
  }),
};

/** Rooms (seed 004). */
const rooms = {
  RoomMessage: object({
    id: int,
    chat_room: int,
    sender: { ...text(MAX_USERNAME_LENGTH), description: "The sender's username" },
    content: text(MAX_CONTENT_LENGTH),
    created_at: dateTime,
    is_read: bool,
  }),
  RoomMessagePage: object({
    // Absolute on PUBLIC_URL or an allowed Host; root-relative when the request's Host is not trusted.
    next: { ...nullable(text(4096, { format: 'uri-reference' })), description: 'Older messages' },
    previous: { ...nullable(text(4096, { format: 'uri-reference' })), description: 'Newer messages' },
    results: { ...arrayOf(ref('RoomMessage'), MAX_PAGE_SIZE), description: 'Newest first' },
  }),
  RoomMessageCreateRequest: object(
    {
      content: { type: 'string', minLength: 1, maxLength: MAX_CONTENT_LENGTH },
      is_read: { type: 'boolean', default: false, description: "Accepted and validated; read state is derived from the other members' read marks" },
      sender_id: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        writeOnly: true,
        description: 'Write-only: must name an existing user (400 `{"sender_id": ["Invalid pk \\"6\\" - object does not exist."]}` otherwise); the sender is always the authenticated user',
      },
    },
    ['content'],
  ),
  DrfDetail: object({ detail: str }),
  DrfBadRequest: { anyOf: [ref('DrfFieldErrors'), ref('DrfDetail')], description: 'Field errors, or {"detail"} for a body that is not JSON' },
  DrfFieldErrors: {
    type: 'object',
    additionalProperties: arrayOf(str, 10),
    minProperties: 1,
    maxProperties: 20,
    description: 'Messages per field, e.g. {"content": ["This field may not be blank."]}',
  },
};

export const SCHEMAS: Record<string, Schema> = { ...v1, ...chatApi, ...widget, ...rooms };
