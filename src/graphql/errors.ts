import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { DomainError, type ErrorReason } from '../shared/errors.js';

/**
 * The one mapper from the error model to GraphQL's error format: operation errors (formatError),
 * refusals before any operation runs (errorBody), and errors thrown where Apollo expects a
 * GraphQLError (graphqlErrorOf). Nothing else builds a GraphQL error body.
 */

/** Apollo's own request-level codes become BAD_USER_INPUT, keeping theirs as `reason` (each is in the catalogue). */
const CLIENT_ERROR_CODES = new Map<string, ErrorReason>([
  ['GRAPHQL_PARSE_FAILED', 'GRAPHQL_PARSE_FAILED'],
  ['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED'],
  ['BAD_USER_INPUT', 'INVALID_ARGUMENT'],
  ['BAD_REQUEST', 'BAD_REQUEST'],
  ['OPERATION_RESOLUTION_FAILURE', 'OPERATION_RESOLUTION_FAILURE'],
  ['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_FOUND'],
  ['PERSISTED_QUERY_NOT_SUPPORTED', 'PERSISTED_QUERY_NOT_SUPPORTED'],
]);

/** A domain error's `extensions`: its code, its reason and, for input errors, the message per field. */
const extensionsOf = (error: DomainError) => ({ code: error.code, reason: error.reason, ...(error.fields ? { fields: error.fields } : {}) });

/** The GraphQL-over-HTTP body for a request refused before any operation ran (body, media type, multipart). */
export const errorBody = (error: DomainError) => ({ errors: [{ message: error.message, extensions: extensionsOf(error) }] });

/** A domain error where Apollo or graphql-ws takes a GraphQLError; `httpStatus` sets the answer's status (Apollo's `http` extension). */
export const graphqlErrorOf = (error: DomainError, options: { httpStatus?: number; nodes?: GraphQLError['nodes'] } = {}) =>
  new GraphQLError(error.message, {
    nodes: options.nodes,
    originalError: error,
    extensions: { ...extensionsOf(error), ...(options.httpStatus ? { http: { status: options.httpStatus } } : {}) },
  });

/** graphql-js stops coercing variables after 50 invalid values with this error, which has no code. */
const VARIABLE_ERROR_LIMIT = 'Too many errors processing variables';

/**
 * The one mapping from thrown errors to GraphQL errors. Domain errors keep their code, reason
 * and field messages; anything unexpected is logged and becomes INTERNAL_SERVER_ERROR with a
 * generic message (stack traces only in development).
 */
export function createFormatError(logger: Logger, exposeStack: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    const original = unwrapped instanceof GraphQLError && unwrapped.originalError instanceof DomainError ? unwrapped.originalError : unwrapped;
    if (original instanceof DomainError) {
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions: extensionsOf(original) };
    }
    const code = formatted.extensions?.code;
    if (original instanceof GraphQLError && original.message.startsWith(VARIABLE_ERROR_LIMIT)) {
      return { ...formatted, extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_ARGUMENT' } };
    }
    const reason = typeof code === 'string' ? CLIENT_ERROR_CODES.get(code) : undefined;
    if (reason) return { ...formatted, extensions: { code: 'BAD_USER_INPUT', reason } };
    if (original instanceof GraphQLError && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    logger.error({ err: original }, 'unexpected error in GraphQL operation');
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: {
        code: 'INTERNAL_SERVER_ERROR',
        reason: 'INTERNAL',
        ...(exposeStack && original instanceof Error ? { stacktrace: original.stack?.split('\n') } : {}),
      },
    };
  };
}
