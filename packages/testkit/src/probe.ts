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
  /** Overall active count integrated over time (ms), for averageActive(). */
  #busyArea = 0;
  #lastChange = 0;
  #firstEnter?: number;
  #lastEnter = 0;
  #lastLeave = 0;
  /** Each change of the overall active count: when, and the count from then on. */
  #timeline: Array<{ at: number; active: number }> = [];

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
    this.#accumulate();
    this.#firstEnter ??= this.#lastChange;
    this.#lastEnter = this.#lastChange;
    for (const k of keys) {
      const now = (this.#active.get(k) ?? 0) + 1;
      this.#active.set(k, now);
      this.#maxActive.set(k, Math.max(now, this.#maxActive.get(k) ?? 0));
    }
    this.#recordChange();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#accumulate();
      this.#lastLeave = this.#lastChange;
      for (const k of keys) this.#active.set(k, (this.#active.get(k) ?? 1) - 1);
      this.#recordChange();
    };
  }

  /** The most handlers that ran at once, overall or for one key. */
  maxActive(key = "*"): number {
    return this.#maxActive.get(key) ?? 0;
  }

  /**
   * How many handlers ran at once on average, from the first start to the last end: with a backlog
   * and a limit of n, a backend that keeps its n lanes busy gives close to n.
   */
  averageActive(): number {
    const span = this.#lastLeave - (this.#firstEnter ?? this.#lastLeave);
    return span > 0 ? this.#busyArea / span : 0;
  }

  /**
   * The longest time (ms) fewer than `n` handlers ran at once, from the first start to the last start (so
   * the ramp-up to n counts, and the drain after the last start does not): with a backlog and a limit of
   * n, a hand-over from one job to the next takes round trips, and a lane left idle until something else
   * wakes it takes much longer.
   */
  longestBelow(n: number): number {
    let longest = 0;
    let since: number | undefined;
    for (const { at, active } of this.#timeline) {
      if (at > this.#lastEnter) break;
      if (active < n) since ??= at;
      else if (since !== undefined) {
        longest = Math.max(longest, at - since);
        since = undefined;
      }
    }
    return since === undefined ? longest : Math.max(longest, this.#lastEnter - since);
  }

  #recordChange(): void {
    this.#timeline.push({ at: this.#lastChange, active: this.#active.get("*") ?? 0 });
  }

  /** Adds the time since the last start or end, weighted by how many handlers ran in it. */
  #accumulate(): void {
    const now = Date.now();
    this.#busyArea += (this.#active.get("*") ?? 0) * (now - this.#lastChange);
    this.#lastChange = now;
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
