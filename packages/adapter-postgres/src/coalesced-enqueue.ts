import type { EnqueueResult } from "@switchyard/core";
import { type EnqueueRequest, WriteCoalescer } from "@switchyard/core/adapter";

/**
 * Concurrent single enqueues (`enqueue()` calls, a web server's requests) merged into one `add_jobs`
 * statement each (core's WriteCoalescer): each call resolves once the statement holding its job has
 * committed, and a failed statement fails exactly the calls it held. Only enqueues outside a caller's
 * transaction and without an idempotency key are merged: a keyed batch is one transaction of several
 * statements, and merging unrelated callers' keys into it would order their locks by chance.
 */
export class CoalescedEnqueue {
  readonly #coalescer: WriteCoalescer<EnqueueRequest, EnqueueResult>;

  constructor(write: (requests: EnqueueRequest[]) => Promise<EnqueueResult[]>) {
    this.#coalescer = new WriteCoalescer(write);
  }

  /** Whether `requests` (outside a transaction) may be merged with other callers'. */
  static accepts(requests: ReadonlyArray<EnqueueRequest>): boolean {
    return requests.length === 1 && requests[0]!.idempotencyKey === undefined;
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult[]> {
    return [await this.#coalescer.add(request)];
  }
}
