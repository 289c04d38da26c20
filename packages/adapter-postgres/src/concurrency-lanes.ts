import { createHash } from "node:crypto";
import type { JobDefinition } from "@switchyard/core";
import type { Lane } from "./sql/new-job.js";

/** graphile-worker's limit on a queue name, less room for `#<lane>`. */
const MAX_LANE_BASE = 128 - 8;
/** Round-robin counters kept before they are forgotten (a fresh counter only changes where the next job goes). */
const MAX_COUNTERS = 10_000;

/**
 * Job concurrency on graphile-worker, which only knows named queues that run one job at a time: a job with
 * `concurrency: n` is spread round-robin over n queues ("lanes") named `<job>#<lane>`, or
 * `<job>:<concurrencyKey>#<lane>` per key. At most n run at once across all workers.
 *
 * The limit is the workers' definition, whoever enqueues: each worker stores its definition's limit in
 * `switchyard_concurrency` when it starts (a changed limit re-spreads the jobs already waiting), and the
 * enqueue statement picks the lane from the stored limit (`switchyard_queue_name`). This process only
 * gives each job its lane base and its turn; its own definition's limit counts only while no worker has
 * stored one.
 */
export class ConcurrencyLanes {
  readonly #next = new Map<string, number>();

  /** The lane of one job enqueued now. */
  laneOf(job: Pick<JobDefinition, "name" | "concurrency">, concurrencyKey: string | undefined): Lane {
    const base = fitLaneBase(concurrencyKey === undefined ? job.name : `${job.name}:${concurrencyKey}`);
    const turn = this.#next.get(base) ?? 0;
    if (this.#next.size >= MAX_COUNTERS && !this.#next.has(base)) this.#next.clear();
    this.#next.set(base, (turn + 1) % 2 ** 31);
    return { base, turn, fallbackLimit: job.concurrency ?? null };
  }
}

/** The lane base, shortened with a digest when a queue name would pass graphile-worker's 128 characters. */
export function fitLaneBase(base: string): string {
  if (base.length <= MAX_LANE_BASE) return base;
  const digest = createHash("sha256").update(base).digest("hex").slice(0, 32);
  return `${base.slice(0, MAX_LANE_BASE - digest.length - 1)}~${digest}`;
}
