import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { ParleyNetworkError, type ParleyGraphQLError } from './errors.js';

/** A typed operation: the generated documents are strings that carry their result and variable types. */
export type Operation<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { toString(): string };

export interface GraphQLResult<TResult> {
  data?: TResult | null;
  errors?: ParleyGraphQLError[];
  /** The HTTP status (401: the token was refused as a whole). */
  status: number;
}

export type Post = <TResult, TVariables>(document: Operation<TResult, TVariables>, variables: TVariables, token: string | null) => Promise<GraphQLResult<TResult>>;

/**
 * One GraphQL request over HTTP. A failure to get any GraphQL answer (no connection, a gateway
 * error, a body that is not a GraphQL response) is a ParleyNetworkError: the caller may retry.
 */
export function httpPoster(url: string, fetchImpl: typeof fetch): Post {
  return async (document, variables, token) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetchImpl(url, { method: 'POST', headers, body: JSON.stringify({ query: document.toString(), variables }) });
    } catch (error) {
      throw new ParleyNetworkError(`request to ${url} failed`, { cause: error });
    }
    let body: { data?: unknown; errors?: ParleyGraphQLError[] };
    try {
      body = (await response.json()) as typeof body;
    } catch (error) {
      throw new ParleyNetworkError(`no GraphQL answer from ${url} (HTTP ${response.status})`, { cause: error });
    }
    if (response.status >= 500 && !body.data) {
      throw new ParleyNetworkError(`HTTP ${response.status} from ${url}: ${body.errors?.[0]?.message ?? ''}`);
    }
    return { data: body.data as never, errors: body.errors, status: response.status };
  };
}
