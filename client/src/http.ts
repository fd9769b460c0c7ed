import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { type ParleyGraphQLError, ParleyNetworkError } from './errors.js';

/** A typed operation: the generated documents are strings that carry their result and variable types. */
export type Operation<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { toString(): string };

export interface GraphQLResult<TResult> {
  data?: TResult | null;
  errors?: ParleyGraphQLError[];
  /** The HTTP status (401: the token was refused as a whole). */
  status: number;
}

/** Files of a multipart request: the variable path each one fills (`variables.attachments.0`) and its bytes. */
export type Uploads = { path: string; file: Blob; name: string }[];

export type Post = <TResult, TVariables>(document: Operation<TResult, TVariables>, variables: TVariables, token: string | null, uploads?: Uploads) => Promise<GraphQLResult<TResult>>;

/**
 * One GraphQL request over HTTP. A failure to get any GraphQL answer (no connection, a gateway
 * error, a body that is not a GraphQL response) is a ParleyNetworkError: the caller may retry.
 */
export function httpPoster(url: string, fetchImpl: typeof fetch): Post {
  return async (document, variables, token, uploads) => {
    const headers: Record<string, string> = { accept: 'application/graphql-response+json, application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    // Files travel as multipart parts; in `operations` their places hold null (the spec's convention).
    const operation = JSON.stringify({ query: document.toString(), variables }, (_key, value: unknown) => (value instanceof Blob ? null : value));
    let body: string | FormData = operation;
    if (uploads?.length) {
      // graphql-multipart-request-spec; the preflight header is the server's CSRF guard for multipart.
      headers['apollo-require-preflight'] = 'true';
      const form = new FormData();
      form.append('operations', operation);
      form.append('map', JSON.stringify(Object.fromEntries(uploads.map((upload, index) => [String(index), [upload.path]]))));
      for (const [index, upload] of uploads.entries()) form.append(String(index), upload.file, upload.name);
      body = form;
    } else headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetchImpl(url, { method: 'POST', headers, body });
    } catch (error) {
      throw new ParleyNetworkError(`request to ${url} failed`, { cause: error });
    }
    let answer: { data?: unknown; errors?: ParleyGraphQLError[] };
    try {
      answer = (await response.json()) as typeof answer;
    } catch (error) {
      throw new ParleyNetworkError(`no GraphQL answer from ${url} (HTTP ${response.status})`, { cause: error });
    }
    if (response.status >= 500 && !answer.data) {
      throw new ParleyNetworkError(`HTTP ${response.status} from ${url}: ${answer.errors?.[0]?.message ?? ''}`);
    }
    return { data: answer.data as never, errors: answer.errors, status: response.status };
  };
}
