/**
 * The one error model. Every failure has a `reason` from the catalogue below: stable, finer than
 * its `code`, and what clients branch on (the GraphQL `extensions.reason`). The catalogue fixes
 * each reason's code (the GraphQL `extensions.code`) and default message, so a reason means the
 * same everywhere. Transports map codes (and a few reasons) to their own statuses and bodies;
 * nothing below the transports knows about HTTP.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'BAD_USER_INPUT'
  | 'RATE_LIMITED'
  | 'RESYNC_REQUIRED'
  /** A dependency (database, Redis) is out of reach for now: retry, nothing is wrong with the call. */
  | 'SERVICE_UNAVAILABLE'
  /** The HTTP request itself could not be read (its body, before any operation): /graphql's own refusals. */
  | 'BAD_REQUEST'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INTERNAL_SERVER_ERROR';

type Entry = readonly [code: ErrorCode, message: string];

/** Every reason, its code and its default message. Add a reason here before throwing it. */
export const ERROR_CATALOGUE = {
  // Who the caller is
  AUTHENTICATION_REQUIRED: ['UNAUTHENTICATED', 'Authentication required'],
  INVALID_AUTHORIZATION: ['UNAUTHENTICATED', 'Authorization must be "Bearer <token>"'],
  INVALID_TOKEN: ['UNAUTHENTICATED', 'The token is not valid'],
  TOKEN_EXPIRED: ['UNAUTHENTICATED', 'The token has expired'],
  TOKEN_REVOKED: ['UNAUTHENTICATED', 'The token has been revoked'],
  INVALID_CLAIMS: ['UNAUTHENTICATED', 'The token claims are not valid here'],
  TENANT_MISMATCH: ['UNAUTHENTICATED', "The conversation is not in the token's tenant"],
  CONVERSATION_NOT_FOUND: ['UNAUTHENTICATED', 'The conversation of this token no longer exists'],
  INVALID_CREDENTIALS: ['UNAUTHENTICATED', 'Invalid username or password'],
  INVALID_INVITE: ['UNAUTHENTICATED', 'The invitation is not valid'],
  INVITE_USED: ['UNAUTHENTICATED', 'The invitation has already been used or withdrawn'],
  INVITE_EXPIRED: ['UNAUTHENTICATED', 'The invitation has expired; ask an admin for a new one'],
  INVALID_WIDGET_KEY: ['UNAUTHENTICATED', 'The widget key is not valid'],
  INVALID_REFRESH_TOKEN: ['UNAUTHENTICATED', 'The refresh token is not valid'],
  REFRESH_TOKEN_EXPIRED: ['UNAUTHENTICATED', 'The refresh token has expired; sign in again'],
  REFRESH_TOKEN_REVOKED: ['UNAUTHENTICATED', 'The refresh token has been revoked; sign in again'],
  REFRESH_TOKEN_REUSED: ['UNAUTHENTICATED', 'The refresh token was already used: every token of this sign-in is revoked; sign in again'],
  API_KEY_REVOKED: ['UNAUTHENTICATED', 'The API key has been revoked'],
  TOTP_REQUIRED: ['UNAUTHENTICATED', 'This account signs in with a second factor: send the code from its authenticator app as totp, or a recovery code as recoveryCode'],
  INVALID_TOTP: ['UNAUTHENTICATED', 'The two-factor code is not valid, or was used already'],
  INVALID_RECOVERY_CODE: ['UNAUTHENTICATED', 'The recovery code is not valid, or was used already'],
  TWO_FACTOR_SETUP_REQUIRED: [
    'UNAUTHENTICATED',
    'Your role must sign in with a second factor: set one up with enrollTotp and confirmTotp, giving your username and password, then sign in with its code',
  ],

  // What the caller may do
  ROLE_NOT_ALLOWED: ['FORBIDDEN', 'Your role may not perform this action'],
  GUEST_NOT_ALLOWED: ['FORBIDDEN', 'A guest may not perform this action'],
  STAFF_ONLY: ['FORBIDDEN', 'Only support staff may perform this action'],
  ADMIN_ONLY: ['FORBIDDEN', 'Only an admin may perform this action'],
  CANNOT_CREATE_SESSION: ['FORBIDDEN', 'Your role may not open a support session'],
  CANNOT_CREATE_ROOM: ['FORBIDDEN', 'Your role may not create a room'],
  NOT_YOUR_SESSION: ['FORBIDDEN', 'You do not have permission to perform this action'],
  NOT_ASSIGNED: ['FORBIDDEN', 'The session is assigned to another agent'],
  NOT_A_PARTICIPANT: ['FORBIDDEN', 'You are not a participant of this conversation'],
  NOT_ROOM_OWNER: ['FORBIDDEN', 'Only the room owner or an admin may change its members'],
  NOT_MESSAGE_SENDER: ['FORBIDDEN', 'Only the sender may change a message'],
  ORIGIN_NOT_ALLOWED: ['FORBIDDEN', 'This origin may not use the service'],
  NOTES_STAFF_ONLY: ['FORBIDDEN', 'Only support staff, admins and bots may write private notes'],
  NOT_THE_CUSTOMER: ['FORBIDDEN', 'Only the customer who started the session may rate it'],
  INVALID_EXPORT_LINK: ['FORBIDDEN', 'The export link is not valid'],
  EXPORT_LINK_EXPIRED: ['FORBIDDEN', 'The export link has expired; ask for a new one'],
  PASSWORD_MISMATCH: ['FORBIDDEN', 'The password is not right'],

  // What does not exist (or is another tenant's: the two look the same)
  SESSION_NOT_FOUND: ['NOT_FOUND', 'Session not found'],
  ROOM_NOT_FOUND: ['NOT_FOUND', 'Room not found'],
  MESSAGE_NOT_FOUND: ['NOT_FOUND', 'Message not found'],
  ATTACHMENT_NOT_FOUND: ['NOT_FOUND', 'Attachment not found'],
  USER_NOT_FOUND: ['NOT_FOUND', 'User not found'],
  AGENT_NOT_FOUND: ['NOT_FOUND', 'Agent not found'],
  MEMBER_NOT_FOUND: ['NOT_FOUND', 'The user is not a member of this room'],
  WEBHOOK_NOT_FOUND: ['NOT_FOUND', 'Webhook not found'],
  DELIVERY_NOT_FOUND: ['NOT_FOUND', 'Webhook delivery not found'],
  API_KEY_NOT_FOUND: ['NOT_FOUND', 'API key not found'],
  CANNED_RESPONSE_NOT_FOUND: ['NOT_FOUND', 'Canned response not found'],
  SLA_POLICY_NOT_FOUND: ['NOT_FOUND', 'SLA policy not found'],

  // What the current state refuses
  SESSION_CLOSED: ['CONFLICT', 'The session is closed'],
  ALREADY_ASSIGNED: ['CONFLICT', 'The session is already assigned'],
  MESSAGE_DELETED: ['CONFLICT', 'The message was deleted'],
  OWNER_CANNOT_LEAVE: ['CONFLICT', 'The owner of a room cannot be removed from it'],
  USERNAME_TAKEN: ['CONFLICT', 'The username is taken'],
  TENANT_EXISTS: ['CONFLICT', 'The tenant exists'],
  SESSION_UNASSIGNED: ['CONFLICT', 'The session has no agent'],
  SESSION_NOT_CLOSED: ['CONFLICT', 'The session is not closed'],
  SESSION_NOT_SNOOZED: ['CONFLICT', 'The session is not snoozed'],
  ALREADY_RATED: ['CONFLICT', 'The session has already been rated'],
  SHORT_CODE_TAKEN: ['CONFLICT', 'A canned response with this short code exists'],
  SLA_POLICY_EXISTS: ['CONFLICT', 'The tenant has an SLA policy for this priority (or a default one) already'],
  CANNED_RESPONSE_LIMIT: ['CONFLICT', 'The tenant has the most canned responses allowed (CANNED_RESPONSES_MAX)'],
  CLOCK_BACKWARDS: ['CONFLICT', "The desk's clock only moves forward"],
  TWO_FACTOR_ENABLED: ['CONFLICT', 'Two-factor sign-in is on already; turn it off first'],
  TOTP_NOT_ENROLLED: ['CONFLICT', 'No authenticator app is being enrolled; call enrollTotp first'],
  TWO_FACTOR_REQUIRED: ['CONFLICT', 'Your tenant requires two-factor sign-in of your role; it cannot be turned off'],

  // What the caller sent
  INVALID_ARGUMENT: ['BAD_USER_INPUT', 'An argument is not valid'],
  TOO_LONG: ['BAD_USER_INPUT', 'A value is too long'],
  TOO_SHORT: ['BAD_USER_INPUT', 'A value is too short'],
  TOO_DEEP: ['BAD_USER_INPUT', 'A value nests too deeply'],
  BLANK: ['BAD_USER_INPUT', 'A value may not be blank'],
  INVALID_TEXT: ['BAD_USER_INPUT', 'A text contains characters that are not accepted'],
  INVALID_CURSOR: ['BAD_USER_INPUT', 'The cursor is not valid'],
  SEARCH_QUERY_EMPTY: ['BAD_USER_INPUT', 'The search query has no words to search for'],
  UNKNOWN_SEARCH_CONFIG: ['BAD_USER_INPUT', 'No such text-search configuration'],
  UNKNOWN_MESSAGE: ['BAD_USER_INPUT', 'Every message id must belong to this session'],
  SENDER_NOT_FOUND: ['BAD_USER_INPUT', 'The sender names no user'],
  NOT_STAFF: ['BAD_USER_INPUT', 'The user is not a staff member'],
  NOT_ASSIGNABLE: ['BAD_USER_INPUT', 'Only support sessions can be assigned an agent'],
  NOTES_SUPPORT_ONLY: ['BAD_USER_INPUT', 'Private notes belong to support sessions'],
  NOT_RATABLE: ['BAD_USER_INPUT', 'Only support sessions can be rated'],
  PASSWORD_REQUIRED: ['BAD_USER_INPUT', 'A password is required'],
  INVALID_URL: ['BAD_USER_INPUT', 'The URL is not an absolute http:// or https:// URL without credentials'],
  TARGET_NOT_ALLOWED: ['BAD_USER_INPUT', 'The URL resolves to an address webhooks may not reach (loopback, private, link-local or metadata)'],
  UNKNOWN_EVENT_TYPE: ['BAD_USER_INPUT', 'An event type is not one webhooks deliver'],
  TOO_MANY_SUBSCRIPTIONS: ['BAD_USER_INPUT', 'Too many subscriptions on this connection'],
  INVALID_FILE_NAME: ['BAD_USER_INPUT', 'The file name is not accepted'],
  UNSUPPORTED_TYPE: ['BAD_USER_INPUT', 'The file type is not accepted'],
  EMPTY_FILE: ['BAD_USER_INPUT', 'The file is empty'],
  FILE_TOO_LARGE: ['BAD_USER_INPUT', 'The file is too large'],
  TOO_MANY_FILES: ['BAD_USER_INPUT', 'Too many attachments'],
  REQUEST_TOO_LARGE: ['BAD_USER_INPUT', 'The request is too large'],
  UPLOAD_INTERRUPTED: ['BAD_USER_INPUT', 'The upload did not complete'],
  INVALID_MULTIPART: ['BAD_USER_INPUT', 'The multipart request is malformed'],
  CSRF_PREFLIGHT_REQUIRED: ['BAD_USER_INPUT', 'Multipart requests must carry an Apollo-Require-Preflight header (CSRF prevention)'],
  UNKNOWN_TIME_ZONE: ['BAD_USER_INPUT', 'The time zone is not an IANA time zone name'],
  EMPTY_OPENING: ['BAD_USER_INPUT', 'An opening must close at another time than it opens'],
  OVERLAPPING_OPENINGS: ['BAD_USER_INPUT', 'Openings of the weekly schedule overlap'],
  TOO_MANY: ['BAD_USER_INPUT', 'A list has more entries than allowed'],
  SNOOZE_NOT_IN_FUTURE: ['BAD_USER_INPUT', 'A snooze must end in the future'],
  SNOOZE_TOO_LONG: ['BAD_USER_INPUT', 'A snooze may last at most 365 days'],
  // GraphQL's own request-level failures (Apollo's codes, kept as reasons)
  GRAPHQL_PARSE_FAILED: ['BAD_USER_INPUT', 'The document could not be parsed'],
  GRAPHQL_VALIDATION_FAILED: ['BAD_USER_INPUT', 'The document is not valid against the schema'],
  BAD_REQUEST: ['BAD_USER_INPUT', 'The GraphQL request is not valid'],
  OPERATION_RESOLUTION_FAILURE: ['BAD_USER_INPUT', 'The operation to run could not be determined'],
  PERSISTED_QUERY_NOT_FOUND: ['BAD_USER_INPUT', 'Persisted query not found'],
  PERSISTED_QUERY_NOT_SUPPORTED: ['BAD_USER_INPUT', 'Persisted queries are not supported'],

  // The HTTP request itself
  NOT_JSON: ['UNSUPPORTED_MEDIA_TYPE', 'Send GraphQL requests as JSON with Content-Type: application/json (or multipart/form-data for uploads)'],
  UNSUPPORTED_ENCODING: ['UNSUPPORTED_MEDIA_TYPE', 'The request body must be UTF-8 JSON'],
  INVALID_JSON: ['BAD_REQUEST', 'The request body is not valid JSON'],
  BODY_TOO_LARGE: ['BAD_REQUEST', 'The request body is too large'],
  BODY_INCOMPLETE: ['BAD_REQUEST', 'The request body was cut off'],
  UNREADABLE_REQUEST: ['BAD_REQUEST', 'The request could not be read'],

  // Limits, streams and dependencies
  RATE_LIMIT_EXCEEDED: ['RATE_LIMITED', 'Too many requests'],
  TOO_MANY_SECOND_FACTOR_ATTEMPTS: ['RATE_LIMITED', 'Too many wrong codes for this account; try again later'],
  EVENTS_PRUNED: ['RESYNC_REQUIRED', 'Events this stream needs are past the retention window; reload and subscribe again'],
  DEPENDENCY_UNAVAILABLE: ['SERVICE_UNAVAILABLE', 'The service is briefly unavailable; retry shortly'],
  SECRET_UNREADABLE: ['SERVICE_UNAVAILABLE', "A stored secret cannot be read with this server's keys (SECRETS_KEY, SECRETS_PREVIOUS_KEY); an operator must set the key it was sealed with"],
  INTERNAL: ['INTERNAL_SERVER_ERROR', 'Internal server error'],
} as const satisfies Record<string, Entry>;

export type ErrorReason = keyof typeof ERROR_CATALOGUE;

/** The reasons filed under one code: `forbidden()` takes only FORBIDDEN's, and so on. */
export type ReasonOf<C extends ErrorCode> = { [R in ErrorReason]: (typeof ERROR_CATALOGUE)[R][0] extends C ? R : never }[ErrorReason];

/** Every reason a session's access rule can give (sessions/session-access.ts). */
export type AccessDenial = 'AUTHENTICATION_REQUIRED' | 'NOT_YOUR_SESSION' | 'NOT_ASSIGNED' | 'NOT_A_PARTICIPANT';

export const isErrorReason = (value: unknown): value is ErrorReason => typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);

export class DomainError extends Error {
  readonly code: ErrorCode;

  constructor(
    readonly reason: ErrorReason,
    message: string = ERROR_CATALOGUE[reason][1],
    /** Per-field messages for BAD_USER_INPUT, keyed by argument name. */
    readonly fields?: Record<string, string>,
    /** Only for accessLost: every other error's code is its reason's. */
    code: ErrorCode = ERROR_CATALOGUE[reason][0],
  ) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
  }
}

/**
 * The one exception to "a reason has one code": a subscription that loses access ends FORBIDDEN
 * whatever the cause (reassigned, removed, token expired or revoked), keeping the cause as its
 * reason (PROTOCOL.md), so a client handles every way of losing a stream in one place.
 */
export const accessLost = (cause: DomainError) => new DomainError(cause.reason, 'Access to this stream was lost', undefined, 'FORBIDDEN');

/** The failure for `reason`, with its catalogue code (an access denial may be UNAUTHENTICATED or FORBIDDEN). */
export const failure = (reason: ErrorReason, message?: string) => new DomainError(reason, message);

export const unauthenticated = (reason: ReasonOf<'UNAUTHENTICATED'> = 'AUTHENTICATION_REQUIRED', message?: string) => new DomainError(reason, message);

export const forbidden = (reason: ReasonOf<'FORBIDDEN'>, message = 'You do not have permission to perform this action') => new DomainError(reason, message);

export const notFound = (reason: ReasonOf<'NOT_FOUND'>, message?: string) => new DomainError(reason, message);

export const conflict = (reason: ReasonOf<'CONFLICT'>, message?: string) => new DomainError(reason, message);

export const unavailable = (reason: ReasonOf<'SERVICE_UNAVAILABLE'> = 'DEPENDENCY_UNAVAILABLE', message?: string) => new DomainError(reason, message);

/** A session access rule's answer as an error: an anonymous caller must sign in, anyone else is refused. */
export const accessDenied = (denial: AccessDenial) => (denial === 'AUTHENTICATION_REQUIRED' ? unauthenticated() : forbidden(denial));

export const badInput = (field: string, message: string, reason: ReasonOf<'BAD_USER_INPUT'> = 'INVALID_ARGUMENT') => new DomainError(reason, message, { [field]: message });
