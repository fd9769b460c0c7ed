/** One GraphQL error as Parley answers it: `extensions.code` plus a stable `extensions.reason`. */
export interface ParleyGraphQLError {
  message: string;
  extensions?: { code?: string; reason?: string; [key: string]: unknown };
}

/** The server answered with GraphQL errors (the first one's code and reason are lifted). */
export class ParleyError extends Error {
  readonly code: string | undefined;
  readonly reason: string | undefined;
  constructor(readonly errors: readonly ParleyGraphQLError[]) {
    super(errors[0]?.message ?? 'GraphQL error');
    this.name = 'ParleyError';
    this.code = errors[0]?.extensions?.code;
    this.reason = errors[0]?.extensions?.reason;
  }
}

/** The request may not have reached the server, or its answer was lost: safe to retry an idempotent call. */
export class ParleyNetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ParleyNetworkError';
  }
}

/** Reasons that mean "this access token no longer works": renew it and try again. */
const TOKEN_REASONS = new Set(['TOKEN_EXPIRED', 'TOKEN_REVOKED', 'INVALID_TOKEN']);

export function isTokenProblem(errors: readonly ParleyGraphQLError[] | undefined): boolean {
  return (errors ?? []).some((error) => error.extensions?.code === 'UNAUTHENTICATED' || TOKEN_REASONS.has(error.extensions?.reason ?? ''));
}

/** A WebSocket close that refused the connection's token (PROTOCOL.md: 4403 with the reason). */
export function isTokenClose(event: unknown): boolean {
  return isCloseEvent(event) && event.code === 4403 && TOKEN_REASONS.has(event.reason);
}

export function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && typeof (value as { code: unknown }).code === 'number';
}

/** Errors a later attempt may not get: the server is busy or briefly out of reach of its database. */
const TRANSIENT_REASONS = new Set(['SERVICE_UNAVAILABLE', 'RATE_LIMITED', 'TOO_MANY_SUBSCRIPTIONS']);

export function isTransient(errors: readonly ParleyGraphQLError[] | undefined): boolean {
  return (errors ?? []).some((error) => TRANSIENT_REASONS.has(error.extensions?.reason ?? '') || TRANSIENT_REASONS.has(error.extensions?.code ?? ''));
}

export function hasReason(errors: readonly ParleyGraphQLError[] | undefined, reason: string): boolean {
  return (errors ?? []).some((error) => error.extensions?.reason === reason || error.extensions?.code === reason);
}
