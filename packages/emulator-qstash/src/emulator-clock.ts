/** Node's setTimeout fires at once (with a warning) above 2^31-1 ms, so longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The emulator's own clock. It starts at `startTime` (default: real now) and runs `1 / timeScale`
 * times as fast as real time, so every QStash-side wait shrinks by `timeScale`.
 */
export class EmulatorClock {
  readonly timeScale: number;
  private readonly realStart = Date.now();
  private readonly virtualStart: number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(timeScale: number, startTime?: number) {
    this.timeScale = timeScale;
    this.virtualStart = startTime ?? this.realStart;
  }

  /** Emulator time, unix ms. */
  now(): number {
    return this.virtualStart + (Date.now() - this.realStart) / this.timeScale;
  }

  /** Runs `fn` once the emulator clock reaches `at`; returns a cancel function. */
  at(at: number, fn: () => void): () => void {
    return this.after(at - this.now(), fn);
  }

  /** Runs `fn` after `ms` of emulator time; returns a cancel function. */
  after(ms: number, fn: () => void): () => void {
    let cancelled = false;
    let handle: NodeJS.Timeout | undefined;
    const arm = (realMs: number) => {
      const wait = Math.min(Math.max(0, realMs), MAX_TIMER_MS);
      handle = setTimeout(() => {
        if (handle) this.timers.delete(handle);
        if (cancelled) return;
        if (realMs > MAX_TIMER_MS) arm(realMs - MAX_TIMER_MS);
        else fn();
      }, wait);
      handle.unref();
      this.timers.add(handle);
    };
    arm(ms * this.timeScale);
    return () => {
      cancelled = true;
      if (handle) {
        clearTimeout(handle);
        this.timers.delete(handle);
      }
    };
  }

  /** Cancels every pending timer (used by close/reset). */
  clearAll(): void {
    for (const handle of this.timers) clearTimeout(handle);
    this.timers.clear();
  }
}
