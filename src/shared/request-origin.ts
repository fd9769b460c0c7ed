/**
 * Where a request came from, as its transport saw it (HTTP or WebSocket upgrade): the client's
 * address and user agent, and the API key it presented, if any. Recorded with audit entries
 * (audit/audit-log.ts); never a basis for access decisions.
 */
export interface RequestOrigin {
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** The API key the caller authenticated with (it acts as its user); null for every other credential. */
  readonly apiKeyId: string | null;
}

/** What a transport knows of its client before the credentials are checked. */
export interface ClientAddress {
  readonly ip: string;
  readonly userAgent: string | null;
}

export const UNKNOWN_CLIENT: ClientAddress = { ip: 'unknown', userAgent: null };

/** The longest user agent kept (the column's width): browsers send 100-300 characters. */
const MAX_USER_AGENT_LENGTH = 512;

/** A transport's client, from the socket's address and the User-Agent header. */
export function clientAddress(ip: string | undefined, userAgent: string | string[] | undefined): ClientAddress {
  const agent = Array.isArray(userAgent) ? userAgent[0] : userAgent;
  return { ip: ip || 'unknown', userAgent: agent ? agent.slice(0, MAX_USER_AGENT_LENGTH) : null };
}
