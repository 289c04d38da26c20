import { setLongTimeout } from "@switchyard/core/adapter";

/**
 * Waits for `promise` at most `ms` (any length; `Infinity` waits for ever) and says whether it settled in
 * time. Never rejects. The timer does not keep the process alive. Used where stopping must not depend on
 * a database that may not answer.
 */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = promise.then(
    () => true,
    () => true,
  );
  if (ms === Number.POSITIVE_INFINITY) return settled;
  let timer: { clear(): void } | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setLongTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([settled, timedOut]);
  } finally {
    timer?.clear();
  }
}

/** Resolves after `ms`, or as soon as `wake()` is called; the timer does not keep the process alive. */
export function interruptibleSleep(ms: number): { done: Promise<void>; wake(): void } {
  let wake!: () => void;
  const done = new Promise<void>((resolve) => {
    const timer = setLongTimeout(resolve, ms);
    wake = () => {
      timer.clear();
      resolve();
    };
  });
  return { done, wake };
}
