/**
 * Owns every timer and every piece of in-flight work of the executor, so that
 * tests can wait until nothing is left to do and `close()` can stop it all.
 * Cron timers live elsewhere: they never go idle.
 */
export class ActivityTracker {
  readonly #timers = new Map<ReturnType<typeof setTimeout>, string | undefined>();
  #busy = 0;
  #closed = false;
  readonly #listeners = new Set<() => void>();

  /** Runs `fn` after `ms` real milliseconds unless cancelled; `owner` groups timers (a run id). */
  after(ms: number, fn: () => void, owner?: string): void {
    if (this.#closed) return;
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        if (!this.#closed) fn();
        this.#notify();
      },
      Math.max(0, ms),
    );
    this.#timers.set(timer, owner);
  }

  /** Cancels the pending timers of `owner`. */
  cancelOwner(owner: string): void {
    for (const [timer, timerOwner] of this.#timers) {
      if (timerOwner === owner) {
        clearTimeout(timer);
        this.#timers.delete(timer);
      }
    }
    this.#notify();
  }

  /** Counts `work` as busy from this call until it settles. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.#busy++;
    try {
      return await work();
    } finally {
      this.#busy--;
      this.#notify();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  isIdle(): boolean {
    return this.#busy === 0 && this.#timers.size === 0;
  }

  /**
   * Resolves once nothing is in flight and no timer is pending, checked again
   * one macrotask later so follow-up work scheduled in between counts.
   * Rejects after `timeoutMs`.
   */
  whenIdle(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.#listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (!this.isIdle()) return;
        setImmediate(() => {
          if (this.isIdle()) finish();
        });
      };
      const deadline = setTimeout(
        () => finish(new Error(`Inngest executor not idle after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#listeners.add(check);
      check();
    });
  }

  /** Calls `listener` whenever work or timers change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.keys()) clearTimeout(timer);
    this.#timers.clear();
    this.#notify();
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
