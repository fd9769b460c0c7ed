/**
 * Length limits of text Parley stores, in characters. Each one is read by the entity's column,
 * the service that validates the input and the OpenAPI document, so the three cannot disagree.
 */

/** Usernames; also the sender names the rooms dialect shows (room members are users). */
export const MAX_USERNAME_LENGTH = 64;
/** A person's name as others see it: users' display names and guests' names. */
export const MAX_DISPLAY_NAME_LENGTH = 200;
export const MAX_EMAIL_LENGTH = 320;
export const MAX_PHONE_LENGTH = 32;
/** A guest client's own session id (seed 003's `session_id`). */
export const MAX_SESSION_KEY_LENGTH = 128;
export const MAX_SUBJECT_LENGTH = 500;
export const MAX_TAG_LENGTH = 50;
/** Message and canned-response text. */
export const MAX_CONTENT_LENGTH = 10_000;
/** A sender's idempotency key for a message. */
export const MAX_CLIENT_MESSAGE_ID_LENGTH = 128;
/** An attachment's stored name; longer names are shortened keeping their extension (attachments/file-name.ts). */
export const MAX_FILE_NAME_LENGTH = 200;
export const MAX_RATING_COMMENT_LENGTH = 1_000;
export const MAX_TENANT_SLUG_LENGTH = 64;
export const MAX_TENANT_NAME_LENGTH = 200;
export const MAX_API_KEY_NAME_LENGTH = 100;
