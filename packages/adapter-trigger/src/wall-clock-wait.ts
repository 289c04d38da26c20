/**
 * Resolves once `Date.now()` has reached `until`. A timer set for `until - Date.now()` may fire a
 * millisecond or two before the wall clock gets there (timers run on the monotonic clock), and core
 * would then find the sleep not over and suspend the job again: one more run of the handler.
 */
export function wallClockReached(until: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const left = until - Date.now();
      if (left <= 0) resolve();
      else setTimeout(check, left);
    };
    check();
  });
}
