/**
 * The request target of a WebSocket upgrade, parsed without throwing. Upgrades arrive before
 * any framework has looked at them, so nothing here may trust `request.url`: `//[` is not a
 * URL `new URL()` accepts, and `%E0` is not something `decodeURIComponent` accepts. Either one,
 * thrown on the upgrade path, would take the whole process down.
 */
export interface UpgradeTarget {
  /** The raw (still percent-encoded) path, without query or fragment. */
  pathname: string;
  query: URLSearchParams;
}

/** Longest request target worth looking at; Node's header limit (16 KiB) bounds it anyway. */
const MAX_TARGET_LENGTH = 8192;

/** null when the target is not an origin-form path (`/…`): absolute-form, `*`, `//host…`, or too long. */
export function parseUpgradeTarget(url: string | undefined): UpgradeTarget | null {
  const raw = url ?? '/';
  if (raw.length > MAX_TARGET_LENGTH || !raw.startsWith('/') || raw.startsWith('//')) return null;
  const end = raw.search(/[?#]/);
  const pathname = end === -1 ? raw : raw.slice(0, end);
  const queryStart = raw.indexOf('?');
  const hash = raw.indexOf('#');
  const search = queryStart === -1 || (hash !== -1 && hash < queryStart) ? '' : raw.slice(queryStart + 1, hash > queryStart ? hash : undefined);
  // URLSearchParams replaces malformed escapes instead of throwing.
  return { pathname, query: new URLSearchParams(search) };
}

/** decodeURIComponent that answers null for malformed escapes (`%`, `%E0`, `%C3%28`). */
export function decodePathSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
