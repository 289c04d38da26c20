/** Timers further away than this are left to polling. */
const MAX_DELAY_MS = 24 * 3_600_000;
/** Due times closer than this share one timer. */
const BUCKET_MS = 10;
const MAX_TIMERS = 10_000;
/** A wake-up this long after the due time, so the database clock has surely passed it. */
const MARGIN_MS = 3;

/**
 * Wakes idle workers when a delayed or retried job becomes due, instead of waiting for the next poll
 * (graphile-worker only polls for such jobs, every `pollInterval`). Fed by this process's own retries and
 * by notifications of delayed enqueues from any process.
 */
export class DueTimeNudger {
  readonly #nudge: (count: number) => void;
  readonly #timers = new Map<number, { timer: NodeJS.Timeout; count: number }>();

  constructor(nudge: (count: number) => void) {
    this.#nudge = nudge;
  }

  /** Nudges `count` workers at epoch milliseconds `at`. */
  at(at: number, count = 1): void {
    const bucket = Math.ceil(at / BUCKET_MS) * BUCKET_MS;
    const delay = bucket - Date.now() + MARGIN_MS;
    if (delay > MAX_DELAY_MS) return;
    const existing = this.#timers.get(bucket);
    if (existing) {
      existing.count += count;
      return;
    }
    if (this.#timers.size >= MAX_TIMERS) return;
    const entry = {
      count,
      timer: setTimeout(
        () => {
          this.#timers.delete(bucket);
          this.#nudge(entry.count);
        },
        Math.max(0, delay),
      ),
    };
    entry.timer.unref();
    this.#timers.set(bucket, entry);
  }

  clear(): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
