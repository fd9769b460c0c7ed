/**
 * The one origin rule, applied where origins are stored (config, tenants) and where they are
 * compared (widget sessions, WebSocket upgrades): `scheme://host[:port]` as the URL standard
 * serialises it, so `https://Shop.Example/` and `https://shop.example:443` are the same origin
 * a browser sends as `https://shop.example`. Null when the text is not a bare http(s) origin.
 */
export function normaliseOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return null;
  return url.origin;
}

/**
 * Whether a browser's `Origin` names this server itself: its host is the Host the request was
 * sent to (a page this server served, such as GraphiQL or the demo console).
 */
export function isSameOrigin(origin: string | null | undefined, host: string | null | undefined): boolean {
  const normalised = origin ? normaliseOrigin(origin) : null;
  if (normalised === null || !host) return false;
  return new URL(normalised).host === host.trim().toLowerCase();
}

/**
 * The page an HTTP request came from, as its browser said (`Origin`, which a page cannot forge),
 * and whether that page is one of this server's own. Null when the request has no Origin (not a
 * browser, or a same-origin GET).
 */
export interface PageOrigin {
  readonly origin: string;
  readonly sameOrigin: boolean;
}

export function pageOriginOf(origin: string | undefined, host: string | undefined): PageOrigin | null {
  if (typeof origin !== 'string' || origin === '') return null;
  return { origin, sameOrigin: isSameOrigin(origin, host) };
}

/** Whether `origin` (as a browser sent it) is one of `allowed` (each compared normalised). */
export function originAllowed(origin: string | null | undefined, allowed: Iterable<string>): boolean {
  const wanted = origin ? normaliseOrigin(origin) : null;
  if (wanted === null) return false;
  for (const candidate of allowed) if (normaliseOrigin(candidate) === wanted) return true;
  return false;
}
