import type { NextFunction, Request, Response } from 'express';

/**
 * Counts HTTP requests between arrival and response, so shutdown can wait until every request
 * that was accepted has been answered (and, for mutations, committed and published) before the
 * database and pub/sub connections close.
 */
export class InFlightRequests {
  private count = 0;
  private waiters: (() => void)[] = [];

  readonly middleware = (_req: Request, res: Response, next: NextFunction): void => {
    this.count += 1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.count -= 1;
      if (this.count === 0) for (const waiter of this.waiters.splice(0)) waiter();
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };

  /** Resolves once no request is in flight. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
