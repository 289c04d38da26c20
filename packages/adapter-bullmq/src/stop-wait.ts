/**
 * How long a stopping worker waits for Redis on its way out (aborted jobs put back, BullMQ's last
 * writes, closing its connections) once no handler it waits for is running. Not at all while Redis is
 * not connected: nothing could be written.
 */
export const STOP_GRACE_MS = 1_000;

/** How often a stopping worker looks again at what it waits for (handlers, Redis, BullMQ's close). */
const STOP_POLL_MS = 20;

/** What a stopping worker watches. */
export interface StopWatch {
  /** BullMQ's close of the worker's BullMQ workers (its polite way out), never rejecting. */
  closing: Promise<unknown>;
  /** True once `closing` settled. */
  closed(): boolean;
  /** True while a handler the stop waits for runs. */
  busy(): boolean;
  /** True while the worker's connection to Redis is up. */
  connected(): boolean;
  /** True once a hard stop was asked for: at once, or while a graceful one drains. */
  hard(): boolean;
  /** Aborts the running handlers (called once, when the stop turns hard). */
  abort(): void;
}

/**
 * Waits until the stop has nothing left to wait for: BullMQ's close finished, or no handler is waited
 * for (none runs, or they were aborted once the stop turned hard) and Redis is not connected or had
 * STOP_GRACE_MS. Returns when that grace ends, for the rest of the way out. A graceful stop waits for
 * the handlers as long as they run; core turns it hard when the app's timeout passes.
 */
export async function waitForStop(watch: StopWatch): Promise<{ graceEndsAt: number }> {
  let aborted = false;
  let graceEndsAt: number | undefined;
  for (;;) {
    const now = Date.now();
    if (!aborted && watch.hard()) {
      watch.abort();
      aborted = true;
    }
    if (watch.closed()) break;
    if (watch.busy() && !aborted) graceEndsAt = undefined;
    else graceEndsAt ??= now + STOP_GRACE_MS;
    if (graceEndsAt !== undefined && (!watch.connected() || now >= graceEndsAt)) break;
    await waitAtMost(watch.closing, STOP_POLL_MS);
  }
  return { graceEndsAt: graceEndsAt ?? Date.now() + STOP_GRACE_MS };
}

/**
 * Waits for `promise` at most `ms` (a constant of the adapter or what is left of one, never a user
 * duration); true when it settled in time. The timer is cleared either way: one left armed would
 * hold the process open.
 */
export function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  return Promise.race([promise.then(() => true), expired]).finally(() => clearTimeout(timer));
}
