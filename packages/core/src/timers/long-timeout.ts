/** Node's timers fire after 1 ms when given more than this; longer waits are chained. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
}

/**
 * `setTimeout` for any delay: a wait longer than Node's 2^31-1 ms limit (about 24.8 days) is split
 * into chained timers instead of firing at once. `unref` (default true) lets the process exit while
 * it is pending, so a forgotten timer never holds a stopped worker open.
 */
export function setLongTimeout(callback: () => void, delayMs: number, unref = true): LongTimeout {
  const due = Date.now() + Math.max(0, delayMs);
  let handle: ReturnType<typeof setTimeout>;
  const arm = (): void => {
    const left = Math.max(0, due - Date.now());
    handle = setTimeout(left > MAX_TIMER_MS ? arm : callback, Math.min(left, MAX_TIMER_MS));
    if (unref) handle.unref?.();
  };
  arm();
  return { clear: () => clearTimeout(handle) };
}

/** Resolves after `delayMs` (any length); the timer never keeps the process alive. */
export function sleepFor(delayMs: number): Promise<void> {
  return new Promise((resolve) => setLongTimeout(resolve, delayMs));
}
