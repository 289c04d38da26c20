import { setLongTimeout } from "../timers/long-timeout.js";

/** The time source of the memory backend. Inject a ManualClock to test delays, backoff and schedules without sleeping. */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): ClockTimer;
}

export interface ClockTimer {
  cancel(): void;
}

/** Real time: Date.now and setTimeout (unref'd, so a pending timer never keeps the process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const timer = setLongTimeout(callback, delayMs);
    return { cancel: () => timer.clear() };
  },
};

interface PendingTimer {
  at: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to. `advance` fires due timers in time order and lets handlers settle in between. */
export class ManualClock implements Clock {
  #now: number;
  #timers: PendingTimer[] = [];
  #order = 0;

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMs: number): ClockTimer {
    const timer: PendingTimer = {
      at: this.#now + Math.max(0, delayMs),
      order: this.#order++,
      callback,
      cancelled: false,
    };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#nextDue(target);
      if (!next) break;
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  #nextDue(target: number): PendingTimer | undefined {
    this.#timers = this.#timers.filter((timer) => !timer.cancelled);
    let best: PendingTimer | undefined;
    for (const timer of this.#timers) {
      if (
        timer.at <= target &&
        (!best || timer.at < best.at || (timer.at === best.at && timer.order < best.order))
      ) {
        best = timer;
      }
    }
    if (best) best.cancelled = true;
    return best;
  }
}

/** Lets promise chains started by a timer run to their next real wait. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
