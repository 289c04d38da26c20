import { createHash } from "node:crypto";
import type { JobDefinition } from "@switchyard/core";

/** graphile-worker's limit on a queue name. */
const MAX_QUEUE_NAME = 128;
/** Round-robin counters kept before they are forgotten (a fresh counter only changes where the next job goes). */
const MAX_COUNTERS = 10_000;

/**
 * Job concurrency on graphile-worker, which only knows named queues that run one job at a time: a job with
 * `concurrency: n` is spread round-robin over n queues ("lanes") named `<job>#<lane>`, or
 * `<job>:<concurrencyKey>#<lane>` per key. At most n run at once across all workers; a lane does not take
 * work queued in another, so the limit is an upper bound that is not always reached.
 */
export class ConcurrencyLanes {
  readonly #next = new Map<string, number>();

  /** The queue name for one job enqueued now, or undefined when the job has no concurrency limit. */
  queueName(
    job: Pick<JobDefinition, "name" | "concurrency">,
    concurrencyKey: string | undefined,
  ): string | undefined {
    const limit = job.concurrency;
    if (limit === undefined) return undefined;
    const base = concurrencyKey === undefined ? job.name : `${job.name}:${concurrencyKey}`;
    const turn = this.#next.get(base) ?? 0;
    if (this.#next.size >= MAX_COUNTERS && !this.#next.has(base)) this.#next.clear();
    this.#next.set(base, (turn + 1) % limit);
    return fitQueueName(base, turn);
  }
}

function fitQueueName(base: string, lane: number): string {
  const name = `${base}#${lane}`;
  if (name.length <= MAX_QUEUE_NAME) return name;
  const digest = createHash("sha256").update(base).digest("hex").slice(0, 32);
  return `${base.slice(0, MAX_QUEUE_NAME - digest.length - 12)}~${digest}#${lane}`;
}
