/**
 * Whether a worker that just took a job should wake one more idle worker of its pool.
 *
 * graphile-worker's fetch locks every free named queue (lane) until it commits, whatever job it takes, so a
 * worker fetching at the same time (woken for a lane freed by another stored outcome) finds the free lanes
 * locked and goes idle again: the lane stays empty until the pool fetches again (the next outcome stored,
 * or the poll). So a worker that took a job wakes one more, which takes what the first fetch hid, or finds
 * nothing (an empty fetch, only when a worker is idle).
 *
 * A lane is hidden so only where its pool fetches something else too: another lane, or jobs without a limit.
 * That is known from the pool's definitions (limits adding up to 2 or more, or a limit and a job without
 * one), or from the jobs it takes (two named queues: concurrency keys, or a limit stored by another deploy).
 * A pool of one lane alone (`concurrency: 1`, no key) wakes nobody. Neither does a pool with a local queue:
 * it runs no lanes of its own definitions (batching-defaults.ts: a ConfigError), and a wake-up there would
 * start a batch fetch.
 */
export class LaneWakeUps {
  readonly #localQueue: boolean;
  /** How many lanes the pool is known to run, at least. */
  #lanes: number;
  /** Whether the pool also runs jobs without a limit. */
  #unlimited: boolean;
  /** The first named queue a job was taken from (a second one means several lanes). */
  #firstQueue?: number;

  /** `limits`: the `concurrency` of each job the pool runs (undefined: none). */
  constructor(limits: ReadonlyArray<number | undefined>, options: { localQueue: boolean }) {
    this.#localQueue = options.localQueue;
    this.#lanes = limits.reduce<number>((sum, limit) => sum + (limit ?? 0), 0);
    this.#unlimited = limits.some((limit) => limit === undefined);
  }

  /** A worker took a job of named queue `queueId` (null: a job without a limit). */
  shouldWakeAnother(queueId: number | null): boolean {
    if (this.#localQueue) return false;
    if (queueId === null) this.#unlimited = true;
    else {
      this.#firstQueue ??= queueId;
      this.#lanes = Math.max(this.#lanes, queueId === this.#firstQueue ? 1 : 2);
    }
    return this.#lanes >= 2 || (this.#lanes === 1 && this.#unlimited);
  }
}
