import type { JobContext } from "@switchyard/core";

/** One handler invocation seen by a Probe. */
export interface ProbeCall {
  id: string;
  attempt: number;
  maxAttempts: number;
  payload: unknown;
  /** Date.now() when the handler started. */
  at: number;
}

/**
 * Records what handlers see, for scenarios to assert on: calls in order, and how many ran at once
 * (overall and per key).
 */
export class Probe {
  readonly calls: ProbeCall[] = [];
  #active = new Map<string, number>();
  #maxActive = new Map<string, number>();

  /** Records a call; returns a function to call when the handler ends (for concurrency counts). */
  enter(payload: unknown, ctx: JobContext, key = "*"): () => void {
    this.calls.push({
      id: ctx.id,
      attempt: ctx.attempt,
      maxAttempts: ctx.maxAttempts,
      payload,
      at: Date.now(),
    });
    const keys = key === "*" ? ["*"] : ["*", key];
    for (const k of keys) {
      const now = (this.#active.get(k) ?? 0) + 1;
      this.#active.set(k, now);
      this.#maxActive.set(k, Math.max(now, this.#maxActive.get(k) ?? 0));
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      for (const k of keys) this.#active.set(k, (this.#active.get(k) ?? 1) - 1);
    };
  }

  /** The most handlers that ran at once, overall or for one key. */
  maxActive(key = "*"): number {
    return this.#maxActive.get(key) ?? 0;
  }

  callsFor(id: string): ProbeCall[] {
    return this.calls.filter((call) => call.id === id);
  }

  /** Milliseconds between consecutive calls of one job. */
  gaps(id: string): number[] {
    const calls = this.callsFor(id);
    return calls.slice(1).map((call, index) => call.at - calls[index]!.at);
  }
}

/** A promise with its resolve function outside, to hold a handler until the scenario lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
