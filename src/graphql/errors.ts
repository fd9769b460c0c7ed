import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { DomainError } from '../shared/errors.js';

/** Apollo's own request-level codes become BAD_USER_INPUT, keeping theirs as `reason`. */
const CLIENT_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

/** graphql-js stops coercing variables after 50 invalid values with this error, which has no code. */
const VARIABLE_ERROR_LIMIT = 'Too many errors processing variables';

/**
 * The one mapping from thrown errors to GraphQL errors. Domain errors keep their code, reason
 * and field messages; anything unexpected is logged and becomes INTERNAL_SERVER_ERROR with a
 * generic message (stack traces only in development).
 */
export function createFormatError(logger: Logger, exposeStack: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: original.code, reason: original.reason, ...(original.fields ? { fields: original.fields } : {}) },
      };
    }
    const code = formatted.extensions?.code;
    if (original instanceof GraphQLError && original.message.startsWith(VARIABLE_ERROR_LIMIT)) {
      return { ...formatted, extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_ARGUMENT' } };
    }
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      return { ...formatted, extensions: { code: 'BAD_USER_INPUT', reason: code === 'BAD_USER_INPUT' ? 'INVALID_ARGUMENT' : code } };
    }
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
