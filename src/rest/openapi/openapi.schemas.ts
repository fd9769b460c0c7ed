/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 uses) of every REST body: what the dialects accept
 * and everything they answer, errors included. The contract tests validate real responses
 * against these, so a shape change that is not documented here fails a test.
 */
type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const dateTime: Schema = { type: 'string', format: 'date-time' };
const nullable = (schema: Schema): Schema => ({ ...schema, type: [schema.type as string, 'null'] });
const object = (properties: Record<string, Schema>, required = Object.keys(properties), extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
  ...extra,
});
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const arrayOf = (items: Schema): Schema => ({ type: 'array', items });

/** v1 (seeds 000, 003). */
const v1Envelope = (data: Schema, meta: Schema = { type: 'null' }): Schema =>
  object({ success: { const: true }, message: str, data, meta, trace_id: str, timestamp: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$' } });

const v1 = {
  V1ChatSessionResource: object({
    id: int,
    session_id: nullable(str),
    guest_name: nullable(str),
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
    sender_name: str,
    message: str,
    attachments: arrayOf({ type: 'object' }),
    is_read: bool,
    created_at: dateTime,
  }),
  V1GuestSessionRequest: object(
    {
      session_id: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$', description: "The client's own session id" },
      guest_name: nullable({ type: 'string', maxLength: 200 }),
      guest_email: nullable({ type: 'string', maxLength: 320 }),
      guest_phone: nullable({ type: 'string', maxLength: 32 }),
    },
    ['session_id'],
  ),
  V1SendMessageRequest: object(
    { message: { type: 'string', minLength: 1, maxLength: 10000 }, client_message_id: nullable({ type: 'string', maxLength: 128, description: 'Idempotency key' }) },
    ['message'],
  ),
  V1GuestSessionResponse: v1Envelope(
    object({
      session: ref('V1ChatSessionResource'),
      messages: arrayOf(ref('V1ChatMessageResource')),
      token: { type: 'string', description: 'Bearer token scoped to this session, for the guest routes' },
    }),
  ),
  V1MessageListResponse: v1Envelope(
    arrayOf(ref('V1ChatMessageResource')),
    object({ count: int, last_message_id: { type: 'integer', description: 'Pass as last_message_id on the next poll' }, has_more: bool }),
  ),
  V1MessageResponse: v1Envelope(ref('V1ChatMessageResource')),
  V1ErrorResponse: object({
    success: { const: false },
    message: str,
    data: { type: 'null' },
    meta: { type: 'null' },
    trace_id: str,
    timestamp: str,
    error: object(
      {
        code: { enum: ['VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'RATE_LIMIT_EXCEEDED', 'INTERNAL_ERROR'] },
        fields: { type: 'object', additionalProperties: arrayOf(str), description: 'VALIDATION_FAILED: messages per field' },
      },
      ['code'],
    ),
  }),
};

/** Chat API (seed 001). */
const chatApi = {
  ChatSession: object(
    {
      id: str,
      userId: { type: 'string', description: 'The customer\'s user id; "guest:<sessionId>" for guest sessions' },
      agentId: nullable(str),
      status: { enum: ['active', 'closed'] },
      startedAt: dateTime,
      endedAt: nullable(dateTime),
      subject: nullable(str),
      priority: { enum: ['low', 'medium', 'high'] },
      tags: arrayOf(str),
    },
    ['id', 'userId', 'status', 'startedAt', 'priority'],
  ),
  ChatAttachment: object(
    {
      id: str,
      url: str,
      type: str,
      name: str,
      size: int,
      metadata: { type: 'object', properties: { width: { type: 'number' }, height: { type: 'number' }, duration: { type: 'number' } } },
    },
    ['id', 'url', 'type', 'name', 'size'],
  ),
  ChatMessage: object(
    {
      id: str,
      content: str,
      sender: { enum: ['user', 'support'] },
      timestamp: dateTime,
      read: bool,
      status: { enum: ['sending', 'sent', 'delivered', 'read', 'failed'] },
      attachments: arrayOf(ref('ChatAttachment')),
    },
    ['id', 'content', 'sender', 'timestamp', 'read'],
  ),
  ChatSessionList: object({ sessions: arrayOf(ref('ChatSession')), totalCount: int }),
  ChatMessageList: object({
    messages: { ...arrayOf(ref('ChatMessage')), description: 'Oldest first' },
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
      subject: nullable({ type: 'string', maxLength: 500 }),
      priority: { enum: ['low', 'medium', 'high'], default: 'medium' },
      tags: arrayOf({ type: 'string', maxLength: 50 }),
      userId: { type: ['string', 'integer'], description: 'Admins only: open the session for this customer' },
    },
    [],
  ),
  ChatAssignRequest: object({ agentId: { type: ['string', 'integer'] } }),
  ChatSendMessageRequest: object({ content: { type: 'string', minLength: 1, maxLength: 10000 } }),
  ChatSendMessageMultipart: object(
    {
      content: { type: 'string', maxLength: 10000, description: 'May be blank when files are attached' },
      attachments: {
        ...arrayOf({ type: 'string', format: 'binary', contentMediaType: 'application/octet-stream' }),
        description: 'Files in order, as parts named `attachments[0]`, `attachments[1]`, ... (or `attachments` / `attachments[]` repeated). Other fields are ignored',
      },
    },
    [],
  ),
  ChatMarkReadRequest: object({ messageIds: { ...arrayOf({ type: ['string', 'integer'] }), minItems: 1, maxItems: 100 } }),
  ChatTypingRequest: object({ isTyping: bool }),
  ChatApiError: object({
    success: { const: false },
    message: str,
    error: object({ code: str, message: str }),
  }),
};

/** Widget (seed 002). */
const widget = {
  WidgetSessionRequest: object({ widget_key: str }),
  WidgetSession: object({ token: { type: 'string', description: 'Widget token: tenant + this conversation' }, conversation_id: { type: 'string', format: 'uuid' } }),
  WidgetMessage: object({
    id: { type: 'string', format: 'uuid' },
    role: { enum: ['user', 'assistant', 'system'] },
    content: str,
    metadata: { type: 'object' },
    created_at: { type: 'string', format: 'date-time', pattern: '\\+00:00$' },
  }),
  WidgetMessagePage: object({
    conversation_id: { type: 'string', format: 'uuid' },
    messages: arrayOf(ref('WidgetMessage')),
    paging: object({ limit: int, offset: int, has_more: bool }),
  }),
  WidgetSendMessageRequest: object(
    { content: { type: 'string', minLength: 1, maxLength: 10000 }, metadata: nullable({ type: 'object' }), client_message_id: nullable({ type: 'string', maxLength: 128 }) },
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
        'rate_limited',
        'internal_error',
      ],
    },
  }),
  WidgetValidationError: object({
    detail: arrayOf(
      object(
        { loc: arrayOf({ type: ['string', 'integer'] }), msg: str, type: str, ctx: { type: 'object' } },
        ['loc', 'msg', 'type'],
      ),
    ),
  }),
};

/** Rooms (seed 004). */
const rooms = {
  RoomMessage: object({
    id: int,
    chat_room: int,
    sender: { type: 'string', description: "The sender's username" },
    content: str,
    created_at: dateTime,
    is_read: bool,
  }),
  RoomMessagePage: object({
    // Absolute on PUBLIC_URL or an allowed Host; root-relative when the request's Host is not trusted.
    next: { ...nullable({ type: 'string', format: 'uri-reference' }), description: 'Older messages' },
    previous: { ...nullable({ type: 'string', format: 'uri-reference' }), description: 'Newer messages' },
    results: { ...arrayOf(ref('RoomMessage')), description: 'Newest first' },
  }),
  RoomMessageCreateRequest: object(
    { content: { type: 'string', minLength: 1, maxLength: 10000 }, is_read: { type: 'boolean', default: false, description: 'Accepted and validated; read state is derived from the other members\' read marks' } },
    ['content'],
  ),
  DrfDetail: object({ detail: str }),
  DrfBadRequest: { anyOf: [ref('DrfFieldErrors'), ref('DrfDetail')], description: 'Field errors, or {"detail"} for a body that is not JSON' },
  DrfFieldErrors: { type: 'object', additionalProperties: arrayOf(str), minProperties: 1, description: 'Messages per field, e.g. {"content": ["This field may not be blank."]}' },
};

export const SCHEMAS: Record<string, Schema> = { ...v1, ...chatApi, ...widget, ...rooms };
