/**
 * Counting slots per concurrency key. Inngest concurrency limits the number
 * of steps executing at once, not runs in existence: a sleeping or
 * retry-waiting run holds no slot
 * (https://www.inngest.com/docs/guides/concurrency). The executor takes the
 * slots of a run's keys around each call to the app.
 *
 * Waiters are served in arrival order, skipping those whose keys are still
 * full (so one busy key does not block others); a waiter needing several keys
 * takes them all at once or keeps waiting.
 */
export class ConcurrencyLimiter {
  readonly #inUse = new Map<string, number>();
  readonly #waiters: Waiter[] = [];

  /** Resolves with a release function once a slot of every key is free. */
  acquire(slots: Slot[]): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => resolve(this.#releaser(slots));
      if (this.#waiters.length === 0 && this.#fits(slots)) {
        this.#take(slots);
        grant();
      } else {
        this.#waiters.push({ slots, grant });
        this.#drain();
      }
    });
  }

  #fits(slots: Slot[]): boolean {
    return slots.every((slot) => (this.#inUse.get(slot.key) ?? 0) < slot.limit);
  }

  #take(slots: Slot[]): void {
    for (const slot of slots) {
      this.#inUse.set(slot.key, (this.#inUse.get(slot.key) ?? 0) + 1);
    }
  }

  #releaser(slots: Slot[]): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const slot of slots) this.#inUse.set(slot.key, (this.#inUse.get(slot.key) ?? 1) - 1);
      this.#drain();
    };
  }

  #drain(): void {
    for (let i = 0; i < this.#waiters.length; ) {
      const waiter = this.#waiters[i] as Waiter;
      if (this.#fits(waiter.slots)) {
        this.#waiters.splice(i, 1);
        this.#take(waiter.slots);
        waiter.grant();
      } else {
        i++;
      }
    }
  }
}

interface Waiter {
  slots: Slot[];
  grant: () => void;
}

/** One concurrency key and its limit. */
export interface Slot {
  key: string;
  limit: number;
}
