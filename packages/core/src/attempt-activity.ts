import type { WorkerHealth } from "./interfaces.js";

/** What a client's attempts did lately, for `worker.health()`: cheap counters, no allocation per attempt. */
export class AttemptActivity {
  running = 0;
  #lastStartedAt = 0;
  #lastEndedAt = 0;

  /** Tracks one attempt: `ended` must be called exactly once when it ends. */
  started(): () => void {
    this.running++;
    this.#lastStartedAt = Date.now();
    return this.#ended;
  }

  readonly #ended = () => {
    this.running--;
    this.#lastEndedAt = Date.now();
  };

  figures(): Pick<WorkerHealth, "running" | "lastAttemptStartedAt" | "lastAttemptEndedAt"> {
    return {
      running: this.running,
      lastAttemptStartedAt: this.#lastStartedAt === 0 ? undefined : new Date(this.#lastStartedAt),
      lastAttemptEndedAt: this.#lastEndedAt === 0 ? undefined : new Date(this.#lastEndedAt),
    };
  }
}
