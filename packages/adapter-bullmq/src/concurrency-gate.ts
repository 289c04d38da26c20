/**
 * Caps how many attempts one Switchyard worker runs at once across its BullMQ workers (one per job).
 * `acquire` returns undefined when a slot is free (no await on the hot path), else a promise.
 */
export class ConcurrencyGate {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(slots: number) {
    this.#free = slots;
  }

  acquire(): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}
