import type { ApolloServer } from '@apollo/server';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { ContextFactory, RequestContext } from '../../app/context.js';
import { DomainError } from '../../shared/errors.js';
import type { ClientAddress } from '../../shared/request-origin.js';

/** A failed operation in the one error model's terms; each dialect turns it into its own body. */
export interface OperationError {
  /** DomainError / GraphQL `extensions.code` (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, ...). */
  code: string;
  /** The stable finer reason (SESSION_NOT_FOUND, TOKEN_EXPIRED, ...). */
  reason: string;
  message: string;
  /** Per-argument messages for BAD_USER_INPUT, keyed by GraphQL argument name. */
  fields?: Record<string, string>;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: OperationError };

/**
 * How REST routes reach the domain: they never call services, they run a named, typed
 * GraphQL operation against the same schema and context as /graphql.
 *
 * Operations go through `ApolloServer.executeOperation`, not graphql-js `execute`, so that a
 * REST call takes exactly the path a GraphQL request takes after HTTP: the same validation,
 * plugins (limits, metrics) and `formatError`, which is where thrown errors become
 * `extensions.code/reason/fields` and where unexpected errors are logged and hidden.
 */
export class OperationRunner {
  constructor(
    private readonly apollo: ApolloServer<RequestContext>,
    private readonly contexts: ContextFactory,
  ) {}

  /** The per-request context; a bad Authorization header fails here with UNAUTHENTICATED and its reason. */
  async context(authorization: string | undefined, client?: ClientAddress): Promise<Outcome<RequestContext>> {
    try {
      const context = await this.contexts.forAuthorization(authorization, client);
      // The dialect already counted this request against its route's rate limit.
      context.countRootFieldsForRateLimit = false;
      return { ok: true, value: context };
    } catch (error) {
      if (error instanceof DomainError) return { ok: false, error: { code: error.code, reason: error.reason, message: error.message } };
      throw error;
    }
  }

  async run<TData, TVariables extends Record<string, unknown>>(context: RequestContext, document: TypedDocumentNode<TData, TVariables>, variables: TVariables): Promise<Outcome<TData>> {
    const response = await this.apollo.executeOperation<TData, TVariables>({ query: document, variables }, { contextValue: context });
    if (response.body.kind !== 'single') throw new Error('REST operations never use incremental delivery');
    const { data, errors } = response.body.singleResult;
    const first = errors?.[0];
    if (first) {
      const extensions = (first.extensions ?? {}) as { code?: unknown; reason?: unknown; fields?: unknown };
      return {
        ok: false,
        error: {
          code: typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR',
          reason: typeof extensions.reason === 'string' ? extensions.reason : 'INTERNAL',
          message: first.message,
          ...(extensions.fields && typeof extensions.fields === 'object' ? { fields: extensions.fields as Record<string, string> } : {}),
        },
      };
    }
    if (data === null || data === undefined) throw new Error('GraphQL operation returned neither data nor errors');
    return { ok: true, value: data as TData };
  }

  /** Builds the context from the Authorization header and runs one operation. */
  async runFor<TData, TVariables extends Record<string, unknown>>(authorization: string | undefined, document: TypedDocumentNode<TData, TVariables>, variables: TVariables): Promise<Outcome<TData>> {
    const context = await this.context(authorization);
    return context.ok ? this.run(context.value, document, variables) : context;
  }
}
