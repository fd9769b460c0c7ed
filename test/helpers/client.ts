import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export interface GraphQLResponse<T> {
  status: number;
  headers: Headers;
  data: T | null;
  errors: { message: string; extensions?: { code?: string; reason?: string; fields?: Record<string, string> } }[] | undefined;
}

/** Speaks plain GraphQL-over-HTTP with fetch, typed by the codegen documents. */
export async function gql<TData, TVars>(
  url: string,
  document: TypedDocumentNode<TData, TVars> | string,
  variables?: TVars,
  token?: string,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
  });
  const body = (await response.json()) as { data?: TData | null; errors?: GraphQLResponse<TData>['errors'] };
  return { status: response.status, headers: response.headers, data: body.data ?? null, errors: body.errors };
}

/** The data of a call that must succeed; fails the test with the errors otherwise. */
export async function ok<TData, TVars>(url: string, document: TypedDocumentNode<TData, TVars>, variables?: TVars, token?: string): Promise<TData> {
  const result = await gql(url, document, variables, token);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL call failed: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** The error code of a call that must fail. */
export async function errorCode<TData, TVars>(url: string, document: TypedDocumentNode<TData, TVars> | string, variables?: TVars, token?: string): Promise<string | undefined> {
  const result = await gql(url, document, variables, token);
  return result.errors?.[0]?.extensions?.code;
}
