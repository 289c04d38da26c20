import type { EnqueueResult } from "@switchyard/core";
import { type EnqueueRequest, WriteCoalescer } from "@switchyard/core/adapter";

/**
 * Concurrent single enqueues (`enqueue()` calls, a web server's requests) merged, per job (one BullMQ
 * queue), into one `addBulk` each (core's WriteCoalescer; BullMQ sends a bulk as one pipeline): each call
 * resolves once the bulk holding its job is stored, and a failed bulk fails exactly the calls it held.
 * Enqueues with an idempotency key go alone, as on the PostgreSQL backend.
 */
export class CoalescedEnqueue {
  readonly #write: (requests: EnqueueRequest[]) => Promise<EnqueueResult[]>;
  readonly #byJob = new Map<string, WriteCoalescer<EnqueueRequest, EnqueueResult>>();

  constructor(write: (requests: EnqueueRequest[]) => Promise<EnqueueResult[]>) {
    this.#write = write;
  }

  /** Whether `requests` may be merged with other callers'. */
  static accepts(requests: ReadonlyArray<EnqueueRequest>): boolean {
    return requests.length === 1 && requests[0]!.idempotencyKey === undefined;
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult[]> {
    const name = request.job.name;
    let coalescer = this.#byJob.get(name);
    if (!coalescer) {
      coalescer = new WriteCoalescer(this.#write);
      this.#byJob.set(name, coalescer);
    }
    return [await coalescer.add(request)];
  }
}
