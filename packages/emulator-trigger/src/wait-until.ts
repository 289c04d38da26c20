import type { RunStore } from "./run-store.js";

const POLL_MS = 50;

/**
 * Resolves with the first truthy value `check` returns, re-checking on every run change (and on
 * a short poll, for conditions outside the run store). Rejects after `timeoutMs` with
 * `describe()` in the message.
 */
export function waitUntil<T>(
  store: RunStore,
  check: () => T | undefined | null | false,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      clearInterval(poll);
      clearTimeout(deadline);
      outcome();
    };
    const attempt = () => {
      let value: T | undefined | null | false;
      try {
        value = check();
      } catch (error) {
        finish(() => reject(error));
        return;
      }
      if (value) finish(() => resolve(value));
    };
    const unsubscribe = store.onChange(attempt);
    const poll = setInterval(attempt, POLL_MS);
    const deadline = setTimeout(
      () =>
        finish(() =>
          reject(new Error(`Trigger emulator: timed out after ${timeoutMs} ms waiting for ${describe()}`)),
        ),
      timeoutMs,
    );
    attempt();
  });
}
