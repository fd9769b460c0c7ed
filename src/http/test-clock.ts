import express, { type Request, type Response, Router } from 'express';
import type { ContextFactory } from '../app/context.js';
import { deskClockFrozen, deskClockOffsetMs, deskNow, moveDeskClock } from '../shared/desk-clock.js';
import { UserRole } from '../shared/enums.js';
import { badInput, conflict, DomainError, type ErrorCode } from '../shared/errors.js';
import { requireUser } from '../shared/guards.js';
import { clientAddress } from '../shared/request-origin.js';
import { bodyParserRefusal } from './body.js';

const STATUS: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, BAD_USER_INPUT: 400, BAD_REQUEST: 400, CONFLICT: 409, UNSUPPORTED_MEDIA_TYPE: 415 };

/** The furthest one move may go: clock tests stand on days in the coming years, not in another era. */
const MAX_ADVANCE_MS = 10 * 366 * 24 * 3600 * 1000;

const clockBody = () => ({ now: new Date(deskNow()).toISOString(), offsetMs: deskClockOffsetMs(), frozen: deskClockFrozen() });

/**
 * `GET|PUT /testing/clock`: reads and moves the desk's clock (shared/desk-clock.ts), mounted only
 * when TEST_CLOCK=true, which config refuses in production. Any tenant's admin may use it (the
 * clock is the process's, like the server it tests). PUT takes `{ "now": ISO-8601 }` or
 * `{ "advanceMs": n }`, and `"frozen": true` to make it stand still there (a message then lands on
 * the very millisecond); otherwise it runs on. Due timers fire on the reactions' next poll.
 */
export function testClockRoute(contexts: ContextFactory): Router {
  const router = Router();
  const admin = async (req: Request) =>
    requireUser((await contexts.forAuthorization(req.headers.authorization, clientAddress(req.ip, req.headers['user-agent']))).viewer, [UserRole.ADMIN], 'ADMIN_ONLY');
  const answer = (handler: (req: Request) => Promise<object>) => async (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      res.status(200).json(await handler(req));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      res.status(STATUS[error.code] ?? 500).json({ error: { code: error.code, reason: error.reason, message: error.message, ...(error.fields ? { fields: error.fields } : {}) } });
    }
  };
  router.get(
    '/testing/clock',
    answer(async (req) => {
      await admin(req);
      return clockBody();
    }),
  );
  router.put(
    '/testing/clock',
    express.json({ limit: '1kb' }),
    answer(async (req) => {
      await admin(req);
      const body: unknown = req.body;
      const { now, advanceMs, frozen = false } = (typeof body === 'object' && body !== null ? body : {}) as { now?: unknown; advanceMs?: unknown; frozen?: unknown };
      if (typeof frozen !== 'boolean') throw badInput('frozen', 'must be true or false');
      let at: number;
      if (typeof now === 'string' && now !== '' && advanceMs === undefined) {
        at = Date.parse(now);
        if (Number.isNaN(at)) throw badInput('now', 'must be an ISO-8601 date-time like 2027-03-28T00:30:00Z');
      } else if (typeof advanceMs === 'number' && Number.isInteger(advanceMs) && now === undefined) {
        if (advanceMs < 0) throw conflict('CLOCK_BACKWARDS');
        at = deskNow() + advanceMs;
      } else throw badInput('now', 'send either "now" (an ISO-8601 date-time) or "advanceMs" (whole milliseconds)');
      if (at - Date.now() > MAX_ADVANCE_MS) throw badInput('now', 'may be at most 10 years ahead of the system clock');
      if (!moveDeskClock(at, frozen)) throw conflict('CLOCK_BACKWARDS', `The desk's clock only moves forward; it is ${new Date(deskNow()).toISOString()}`);
      return clockBody();
    }),
  );
  router.use('/testing/clock', (error: { type?: string }, _req: Request, res: Response, next: (error: unknown) => void) => {
    const refusal = bodyParserRefusal(error);
    if (!refusal) return next(error);
    res.status(refusal.status).json({ error: { code: refusal.error.code, reason: refusal.error.reason, message: refusal.error.message } });
  });
  return router;
}
