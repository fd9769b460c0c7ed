import type { RequestOrigin } from '../shared/request-origin.js';
import type { Viewer } from '../shared/viewer.js';
import type { Db } from './orm.js';

/** One request's (or one subscription event's) view of the world: its own EntityManager fork and viewer. */
export interface Scope {
  readonly em: Db;
  readonly viewer: Viewer;
  /** Where the request came from (audit entries record it); absent for work no request started. */
  readonly origin?: RequestOrigin;
}
