import { graphqlError } from '../http/body.js';
import { badInput, type DomainError } from '../shared/errors.js';

/** A GraphQL-over-HTTP error body for a refusal that happens before any operation runs (the upload middleware's). */
export function graphqlErrorBody(error: DomainError) {
  return graphqlError(error.message, error.code, error.reason);
}

/** A GraphQL multipart request over the request limit (413). */
export const requestTooLarge = (maxBytes: number) => badInput('attachments', `A request may be at most ${maxBytes} bytes`, 'REQUEST_TOO_LARGE');
