/**
 * An unbounded single-consumer queue with an async iterator: producers push synchronously
 * (pub/sub listeners, timers), the consumer awaits. `fail` ends the iteration with an error
 * after the items already queued; `end` ends it quietly.
 */
export class Mailbox<T> {
  private readonly items: T[] = [];
  private waiting: (() => void) | null = null;
  private done = false;
  private error: unknown = null;

  push(item: T): void {
    if (this.done) return;
    this.items.push(item);
    this.wake();
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.error = error;
    this.done = true;
    this.wake();
  }

  end(): void {
    this.done = true;
    this.wake();
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      // A failure (lost access) stops delivery at once: nothing queued behind it goes out.
      if (this.error !== null) throw this.error;
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.done) return;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }
}
