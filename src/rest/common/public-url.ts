import type { Request } from 'express';
import { type Config, HOST } from '../../config/config.js';

export type LinkConfig = Pick<Config, 'publicUrl' | 'allowedHosts'>;

/** Whether a Host header value is one of ALLOWED_HOSTS (an entry without a port allows any port). */
function allowedHost(host: string, allowed: readonly string[]): boolean {
  const value = host.toLowerCase();
  if (!HOST.test(value)) return false;
  const bare = value.replace(/:\d+$/, '');
  return allowed.some((entry) => entry === value || entry === bare);
}

/**
 * An absolute URL for `pathAndQuery` (which starts with `/`), for links a client follows
 * (DRF-style `next`/`previous`). It is built on PUBLIC_URL, or on the request's Host only when
 * that host is allowed; an arbitrary Host is never reflected (a poisoned link, or, for `Host: [`,
 * a URL that cannot be built). Otherwise the link stays root-relative.
 */
export function absoluteLink(req: Request, pathAndQuery: string, config: LinkConfig): string {
  if (config.publicUrl !== null) return `${config.publicUrl}${pathAndQuery}`;
  const host = req.get('host');
  if (host !== undefined && allowedHost(host, config.allowedHosts)) return `${req.protocol}://${host.toLowerCase()}${pathAndQuery}`;
  return pathAndQuery;
}
