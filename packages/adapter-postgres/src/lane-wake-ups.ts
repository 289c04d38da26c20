/**
 * When a worker that took a lane's job should wake one more idle worker of its pool.
 *
 * graphile-worker's fetch locks every free named queue (lane) until it commits, so an idle worker fetching
 * at the same time (woken by another stored outcome) finds the other free lanes locked and goes idle again.
 * When lanes are freed together, all but one could stay empty until a job ends somewhere, or the next poll.
 * So a worker that takes a lane's job wakes one more, which takes the next free lane or finds none (an empty
 * fetch). Lanes only meet where there are several: a pool that runs a single lane (one job with
 * `concurrency: 1` and no key) wakes nobody, and pays no empty fetch a job.
 */
export class LaneWakeUps {
  /** The first named queue a job was taken from, until a second one shows up. */
  #firstQueue?: number;
  #severalQueues: boolean;

  /** `lanesDefined`: the lanes the pool's definitions make (their `concurrency` summed), keys aside. */
  constructor(lanesDefined: number) {
    this.#severalQueues = lanesDefined > 1;
  }

  /** A worker took a job of named queue `queueId` (null: none): whether to wake another. */
  afterTaking(queueId: number | null): boolean {
    if (queueId === null) return false;
    if (!this.#severalQueues) {
      this.#firstQueue ??= queueId;
      this.#severalQueues = queueId !== this.#firstQueue;
    }
    return this.#severalQueues;
  }
}
