import { SCHEMAS } from './openapi.schemas.js';

/**
 * The OpenAPI 3.1 description of every REST route (served at /openapi.json, browsable at
 * /docs). Each operation lists its parameters, request body and every status it answers,
 * errors included, with the dialect's own error schema.
 */
type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const body = (schema: string, description: string) => ({ description, content: { 'application/json': { schema: ref(schema) } } });
const noContent = { description: 'No content' };
const jsonRequest = (schema: string, required = true) => ({ required, content: { 'application/json': { schema: ref(schema) } } });
const bearer = [{ bearerAuth: [] }];
/** Public by the seeds' design (003: no auth; the widget proves itself with its key and Origin): an empty requirement says so explicitly. */
const anonymous = [{}];

/** What RFC 8725 (JWT Best Current Practices) asks a verifier to do, and what src/auth/tokens.ts does. */
const JWT_DESCRIPTION =
  'A JWS-signed JWT (RFC 7519) handled per RFC8725 (JWT Best Current Practices): one algorithm is allowed (HS256), ' +
  'so `none` and algorithm substitution are refused before any claim is read; the key is chosen by `kid` among the current ' +
  'and previous keys only; `iss`, `aud`, `exp`, `nbf`, `iat` and `sub` are required and checked; kinds of token are told ' +
  'apart by an explicit `typ` claim and JOSE header (an invitation is never a bearer token); access tokens carry a version ' +
  'the server compares on every request, so logout and password changes revoke them. Obtain one with the GraphQL `login` ' +
  'mutation, a guest session (seed 003) or a widget session (seed 002).';

/** Rate-limit headers (IETF draft httpapi-ratelimit-headers) on every counted response; see src/ratelimit/. */
const RATE_LIMIT_HEADERS: Json = {
  RateLimit: {
    required: true,
    description: "The caller's quota on this route: `limit=60, remaining=59, reset=60` (reset in seconds)",
    schema: { type: 'string', maxLength: 100, pattern: '^limit=\\d+, remaining=\\d+, reset=\\d+$' },
  },
  'RateLimit-Policy': { required: true, description: 'The policy: `60;w=60` (requests per window of seconds)', schema: { type: 'string', maxLength: 50, pattern: '^\\d+;w=\\d+$' } },
};
const RETRY_AFTER: Json = { required: true, description: 'Seconds until a request will be counted again', schema: { type: 'string', maxLength: 10, pattern: '^\\d+$' } };
const ALLOW_ORIGIN: Json = {
  required: false,
  description: "Only for browsers: the request's Origin when it is allowed (CORS_ORIGINS; on the widget routes, any Origin, whose tenant check happens at session start). Never `*`",
  schema: { type: 'string', format: 'uri', maxLength: 2048 },
};

/**
 * Every dialect route is rate limited before it runs, so every 2xx and 4xx answer carries the
 * RateLimit headers and a 429 also Retry-After; every answer may carry the CORS header.
 */
function withResponseHeaders(paths: Json): Json {
  const out: Json = {};
  for (const [route, item] of Object.entries(paths)) {
    const methods: Json = {};
    for (const [key, value] of Object.entries(item as Json)) {
      if (key === 'parameters') {
        methods[key] = value;
        continue;
      }
      const operation = value as Json & { responses: Record<string, Json> };
      const responses: Record<string, Json> = {};
      for (const [status, response] of Object.entries(operation.responses)) {
        const counted = /^[24]/.test(status);
        const headers = {
          ...(counted ? RATE_LIMIT_HEADERS : {}),
          ...(status === '429' ? { 'Retry-After': RETRY_AFTER } : {}),
          ...((response.headers as Json | undefined) ?? {}),
          'Access-Control-Allow-Origin': ALLOW_ORIGIN,
        };
        responses[status] = { ...response, headers };
      }
      methods[key] = { ...operation, responses };
    }
    out[route] = methods;
  }
  return out;
}

const path = (name: string, schema: Json, description: string) => ({ name, in: 'path', required: true, schema, description });
const query = (name: string, schema: Json, description: string) => ({ name, in: 'query', required: false, schema, description });

/** Error statuses → descriptions; the schema is the dialect's. */
const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'Not authenticated',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Body too large',
  415: 'Unsupported media type',
  416: 'Range not satisfiable',
  422: 'Invalid parameters or body',
  429: 'Rate limit exceeded',
  500: 'Internal error',
};
const errors = (schema: string, statuses: number[], overrides: Record<number, string> = {}) =>
  Object.fromEntries(statuses.map((status) => [String(status), body(overrides[status] ? overrides[status]! : schema, ERROR_TEXT[status]!)]));

const v1Errors = (...statuses: number[]) => errors('V1ErrorResponse', [...statuses, 429, 500]);
// Every dialect route is rate limited (429 with Retry-After and RateLimit headers).
const chatErrors = (...statuses: number[]) => errors('ChatApiError', [...statuses, 429, 500]);
const widgetErrors = (...statuses: number[]) => errors('WidgetDetail', [...statuses, 429, 500], { 422: 'WidgetValidationError' });
const roomErrors = (...statuses: number[]) => errors('DrfDetail', [...statuses, 429, 500], { 400: 'DrfBadRequest' });

/** Ids are bigint sequence values; JSON numbers carry them exactly up to this. */
const MAX_ID = Number.MAX_SAFE_INTEGER;
const lastMessageId = query('last_message_id', { type: 'integer', format: 'int64', minimum: 0, maximum: MAX_ID, default: 0 }, 'Return messages with id greater than this');
const header = (description: string, schema: Json = { type: 'string', maxLength: 1024 }) => ({ description, schema });
/** Files are at most 2 GiB - 1 (the largest UPLOAD_MAX_FILE_BYTES: GraphQL's Int carries the size). */
const BINARY = { type: 'string', format: 'binary', contentMediaType: 'application/octet-stream', maxLength: 2_147_483_647 };
/** What every download carries (src/rest/chat-api/chat-api.download.ts). */
const DOWNLOAD_HEADERS = {
  'Content-Type': header('The type sniffed from the bytes on upload'),
  'Content-Length': header('Bytes in this response'),
  'Content-Disposition': header('`attachment` with the file name (RFC 6266, UTF-8 form included)'),
  ETag: header('Strong: the SHA-256 of the file'),
  'Accept-Ranges': header('`bytes`'),
  'Cache-Control': header('`private, no-cache`'),
  'X-Content-Type-Options': header('`nosniff`'),
  'Content-Security-Policy': header("`default-src 'none'; sandbox`"),
};

const chatSessionId = path(
  'sessionId',
  { type: 'string', pattern: '^([1-9][0-9]{0,17}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$', maxLength: 36 },
  'Session id (or the session UUID)',
);

const PATHS: Json = {
  '/api/v1/chat/guest/session': {
    post: {
      tags: ['v1'],
      operationId: 'v1CreateGuestSession',
      summary: 'Start (or resume) a guest session from the client session_id (seed 003)',
      security: anonymous,
      requestBody: jsonRequest('V1GuestSessionRequest'),
      responses: {
        '201': body('V1GuestSessionResponse', 'Session created, with a guest token'),
        '200': body('V1GuestSessionResponse', 'The session_id was already used: the existing session, its latest messages and a token'),
        ...v1Errors(400, 401, 413, 415),
      },
    },
  },
  '/api/v1/chat/guest/session/{session_id}/messages': {
    parameters: [path('session_id', { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }, "The guest client's session_id")],
    get: {
      tags: ['v1'],
      operationId: 'v1GuestPollMessages',
      summary: 'Guest polls messages newer than last_message_id (at most 100, oldest first)',
      security: bearer,
      parameters: [lastMessageId],
      responses: { '200': body('V1MessageListResponse', 'Messages'), ...v1Errors(400, 401, 403, 404) },
    },
    post: {
      tags: ['v1'],
      operationId: 'v1GuestSendMessage',
      summary: 'Guest sends a message',
      security: bearer,
      requestBody: jsonRequest('V1SendMessageRequest'),
      responses: {
        '201': body('V1MessageResponse', 'Sent'),
        '200': body('V1MessageResponse', 'client_message_id repeated: the original message'),
        ...v1Errors(400, 401, 403, 404, 409, 413, 415),
      },
    },
  },
  '/api/v1/chat/guest/session/{session_id}/rating': {
    parameters: [path('session_id', { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }, "The guest client's session_id")],
    post: {
      tags: ['v1'],
      operationId: 'v1GuestRateSession',
      summary: 'The guest rates its closed session (CSAT, once): score 1–5 and an optional comment; 409 CONFLICT while the session is active or once rated',
      security: bearer,
      requestBody: jsonRequest('V1RatingRequest'),
      responses: { '201': body('V1RatingResponse', 'Rated'), ...v1Errors(400, 401, 403, 404, 409, 413, 415) },
    },
  },
  '/api/v1/chat/sessions/{id}/messages': {
    parameters: [path('id', { type: 'integer', format: 'int64', minimum: 1, maximum: MAX_ID }, 'Session id')],
    get: {
      tags: ['v1'],
      operationId: 'v1StaffPollMessages',
      summary: 'Staff polls new messages of a session assigned to them (seed 000)',
      security: bearer,
      parameters: [lastMessageId],
      responses: { '200': body('V1MessageListResponse', 'Messages'), ...v1Errors(400, 401, 403, 404) },
    },
    post: {
      tags: ['v1'],
      operationId: 'v1StaffSendMessage',
      summary: 'Staff replies in a session assigned to them',
      security: bearer,
      requestBody: jsonRequest('V1SendMessageRequest'),
      responses: {
        '201': body('V1MessageResponse', 'Sent'),
        '200': body('V1MessageResponse', 'client_message_id repeated: the original message'),
        ...v1Errors(400, 401, 403, 404, 409, 413, 415),
      },
    },
  },
  '/api/chat/sessions': {
    get: {
      tags: ['chat API'],
      operationId: 'chatListSessions',
      summary: 'Sessions visible to the caller, newest first',
      security: bearer,
      parameters: [
        query('status', { enum: ['active', 'closed'] }, 'Filter by status'),
        query('page', { type: 'integer', format: 'int32', minimum: 1, maximum: 2_147_483_647, default: 1 }, 'Page number'),
        query('limit', { type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 20 }, 'Sessions per page'),
      ],
      responses: { '200': body('ChatSessionList', 'Sessions'), ...chatErrors(400, 401, 403) },
    },
    post: {
      tags: ['chat API'],
      operationId: 'chatCreateSession',
      summary: 'Open a support session (users; admins may pass userId)',
      security: bearer,
      requestBody: jsonRequest('ChatCreateSessionRequest', false),
      responses: { '201': body('ChatSession', 'Created'), ...chatErrors(400, 401, 403, 404, 413, 415) },
    },
  },
  '/api/chat/sessions/{sessionId}': {
    parameters: [chatSessionId],
    get: {
      tags: ['chat API'],
      operationId: 'chatGetSession',
      summary: 'One session',
      security: bearer,
      responses: { '200': body('ChatSession', 'The session'), ...chatErrors(401, 403, 404) },
    },
  },
  '/api/chat/sessions/{sessionId}/close': {
    parameters: [chatSessionId],
    put: {
      tags: ['chat API'],
      operationId: 'chatCloseSession',
      summary: 'Close a session (admins)',
      security: bearer,
      responses: { '200': body('ChatSession', 'Closed'), ...chatErrors(401, 403, 404, 409, 415) },
    },
  },
  '/api/chat/sessions/{sessionId}/assign': {
    parameters: [chatSessionId],
    put: {
      tags: ['chat API'],
      operationId: 'chatAssignAgent',
      summary: 'Assign a staff member (admins)',
      security: bearer,
      requestBody: jsonRequest('ChatAssignRequest'),
      responses: { '200': body('ChatSession', 'Assigned'), ...chatErrors(400, 401, 403, 404, 409, 415) },
    },
  },
  '/api/chat/sessions/{sessionId}/messages': {
    parameters: [chatSessionId],
    get: {
      tags: ['chat API'],
      operationId: 'chatListMessages',
      summary: 'The newest `limit` messages before `before`, oldest first; hasMore: older ones remain',
      security: bearer,
      parameters: [
        query('before', { type: 'string', pattern: '^[1-9][0-9]*$', maxLength: 19 }, 'A message id: return messages older than it'),
        query('limit', { type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 50 }, 'Messages per page'),
      ],
      responses: { '200': body('ChatMessageList', 'Messages'), ...chatErrors(400, 401, 403, 404) },
    },
    post: {
      tags: ['chat API'],
      operationId: 'chatSendMessage',
      summary: 'Send a message: JSON `{content}`, or multipart/form-data with `content` and files under `attachments[0]`, `attachments[1]`, ...',
      description:
        'Multipart files are sniffed (the claimed type is ignored) and checked against the allowed types and the size limits ' +
        '(UPLOAD_MAX_FILE_BYTES per file, UPLOAD_MAX_FILES per message, UPLOAD_MAX_REQUEST_BYTES per request); ' +
        'a message is stored with all its files or not at all. With files, `content` may be blank.',
      security: bearer,
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: ref('ChatSendMessageRequest') },
          'multipart/form-data': {
            schema: ref('ChatSendMessageMultipart'),
            encoding: { attachments: { contentType: 'application/octet-stream, image/*, audio/*, video/*, application/pdf, text/plain' } },
          },
        },
      },
      responses: {
        '201': body('ChatMessage', 'Sent, with its attachments'),
        ...chatErrors(400, 401, 403, 404, 409, 413, 415),
        '400': body('ChatApiError', 'Invalid body, malformed multipart, a file over the size limit, too many files, an empty or unaccepted file'),
        '413': body('ChatApiError', 'The request body is larger than allowed'),
      },
    },
  },
  '/api/chat/sessions/{sessionId}/read': {
    parameters: [chatSessionId],
    put: {
      tags: ['chat API'],
      operationId: 'chatMarkRead',
      summary: "Move the caller's read mark to the highest of messageIds",
      security: bearer,
      requestBody: jsonRequest('ChatMarkReadRequest'),
      responses: { '204': noContent, ...chatErrors(400, 401, 403, 404, 415) },
    },
  },
  '/api/chat/sessions/{sessionId}/typing': {
    parameters: [chatSessionId],
    post: {
      tags: ['chat API'],
      operationId: 'chatTyping',
      summary: 'Typing indicator',
      security: bearer,
      requestBody: jsonRequest('ChatTypingRequest'),
      responses: { '204': noContent, ...chatErrors(400, 401, 403, 404, 415) },
    },
  },
  '/api/chat/sessions/{sessionId}/rating': {
    parameters: [chatSessionId],
    post: {
      tags: ['chat API'],
      operationId: 'chatRateSession',
      summary: "The session's customer rates it once it is closed (CSAT, once): score 1–5 and an optional comment; 409 while active or once rated, 403 for its staff and admins",
      security: bearer,
      requestBody: jsonRequest('ChatRatingRequest'),
      responses: { '201': body('ChatRating', 'Rated'), ...chatErrors(400, 401, 403, 404, 409, 413, 415) },
    },
    get: {
      tags: ['chat API'],
      operationId: 'chatSessionRating',
      summary: "The session's rating: for its customer, its agent and admins (404 when there is none, or for anyone else who may read the session)",
      security: bearer,
      responses: { '200': body('ChatRating', 'The rating'), ...chatErrors(401, 403, 404) },
    },
  },
  '/api/chat/attachments/{attachmentId}': {
    parameters: [path('attachmentId', { type: 'string', format: 'uuid', maxLength: 36 }, "An attachment's id (its `url` is this path)")],
    get: {
      tags: ['chat API'],
      operationId: 'chatDownloadAttachment',
      summary: "Download an attachment's bytes (whoever may read its message; 403 otherwise); always a download, never rendered inline",
      security: bearer,
      parameters: [
        { name: 'Range', in: 'header', required: false, schema: { type: 'string', maxLength: 256, pattern: '^bytes=', example: 'bytes=0-1023' }, description: 'One byte range' },
        { name: 'If-Range', in: 'header', required: false, schema: { type: 'string', maxLength: 256 }, description: 'The ETag the range is for; otherwise the whole file is sent' },
        { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string', maxLength: 1024 }, description: 'ETags held by the client: 304 when one matches' },
      ],
      responses: {
        '200': { description: 'The whole file', headers: DOWNLOAD_HEADERS, content: { '*/*': { schema: BINARY } } },
        '206': {
          description: 'The requested range',
          headers: { ...DOWNLOAD_HEADERS, 'Content-Range': header('`bytes first-last/size`') },
          content: { '*/*': { schema: BINARY } },
        },
        '304': { description: 'Not modified (If-None-Match matched)', headers: { ETag: DOWNLOAD_HEADERS.ETag } },
        ...chatErrors(401, 403, 404, 416),
        '403': body('ChatApiError', 'The caller may not read the message this attachment belongs to'),
        '404': body('ChatApiError', "No such attachment (another tenant's looks the same)"),
        '416': { ...body('ChatApiError', 'The range starts past the end of the file'), headers: { 'Content-Range': header('`bytes */size`') } },
      },
    },
  },
  '/api/chat/stats': {
    get: {
      tags: ['chat API'],
      operationId: 'chatStats',
      summary: 'Support statistics of the tenant (admins)',
      security: bearer,
      responses: { '200': body('ChatStats', 'Statistics'), ...chatErrors(401, 403) },
    },
  },
  '/widget/session': {
    post: {
      tags: ['widget'],
      operationId: 'widgetStartSession',
      summary: "Open a conversation with the tenant's public widget key from an allowed Origin",
      security: anonymous,
      parameters: [{ name: 'Origin', in: 'header', required: true, schema: { type: 'string', format: 'uri', maxLength: 2048 }, description: "One of the tenant's allowed origins" }],
      requestBody: jsonRequest('WidgetSessionRequest'),
      responses: { '201': body('WidgetSession', 'A widget token and the conversation'), ...widgetErrors(401, 403, 413, 422, 415) },
    },
  },
  '/widget/conversations/{id}/messages': {
    parameters: [path('id', { type: 'string', format: 'uuid', maxLength: 36 }, "Conversation id (the token's)")],
    get: {
      tags: ['widget'],
      operationId: 'widgetListMessages',
      summary: 'Conversation history, created_at ASC, id ASC (seed 002)',
      security: bearer,
      parameters: [
        query('limit', { type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 50 }, 'Page size'),
        query('offset', { type: 'integer', format: 'int64', minimum: 0, maximum: 999_999_999_999_999, default: 0 }, 'Messages to skip'),
      ],
      responses: { '200': body('WidgetMessagePage', 'A page of messages'), ...widgetErrors(401, 403, 422) },
    },
    post: {
      tags: ['widget'],
      operationId: 'widgetSendMessage',
      summary: "The visitor's message",
      security: bearer,
      requestBody: jsonRequest('WidgetSendMessageRequest'),
      responses: { '201': body('WidgetMessage', 'Sent'), ...widgetErrors(401, 403, 409, 413, 422, 415) },
    },
  },
  '/api/chat/rooms/{chat_room_id}/messages/': {
    parameters: [path('chat_room_id', { type: 'integer', format: 'int64', minimum: 1, maximum: MAX_ID }, 'Room id')],
    get: {
      tags: ['rooms'],
      operationId: 'roomListMessages',
      summary: 'Room messages, newest first, with opaque cursors (seed 004)',
      security: bearer,
      parameters: [
        query('cursor', { type: 'string', maxLength: 1024, pattern: '^[A-Za-z0-9_-]*$' }, 'Opaque: use the next/previous URLs'),
        query('page_size', { type: 'integer', format: 'int32', minimum: 1, maximum: 999_999_999, default: 50 }, 'Results per page (values above 100 mean 100; invalid values mean 50)'),
      ],
      responses: { '200': body('RoomMessagePage', 'A page'), ...roomErrors(401, 403, 404) },
    },
    post: {
      tags: ['rooms'],
      operationId: 'roomCreateMessage',
      summary: 'Post to a room the caller belongs to',
      security: bearer,
      requestBody: jsonRequest('RoomMessageCreateRequest'),
      responses: { '201': body('RoomMessage', 'Created'), ...roomErrors(400, 401, 403, 404, 409, 413, 415) },
    },
  },
};

export function buildOpenApiDocument(serverUrl?: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley REST dialects',
      version: '1.0.0',
      contact: { name: 'Parley maintainers (see README.md)' },
      description: "Compatibility routes for five existing client dialects. Each route runs a GraphQL operation against /graphql's schema; GraphQL is the primary API.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    tags: [
      { name: 'v1', description: 'Laravel-style envelope (seeds 000, 003)' },
      { name: 'chat API', description: 'TypeScript client API (seed 001)' },
      { name: 'widget', description: 'Website widget, FastAPI style (seed 002)' },
      { name: 'rooms', description: 'Group rooms, Django REST Framework style (seed 004)' },
    ],
    paths: withResponseHeaders(PATHS),
    components: {
      schemas: SCHEMAS,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: JWT_DESCRIPTION } },
    },
  };
}
