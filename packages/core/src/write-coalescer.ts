import { AsyncResource } from "node:async_hooks";
import { ConfigError } from "./errors/config-error.js";

/** How a WriteCoalescer batches. */
export interface WriteCoalescerOptions {
  /** The most items one write takes. Default 1000. */
  maxBatch?: number;
  /** The most writes in flight at once; items wait for a free one, and go together. Default 2. */
  maxInFlight?: number;
}

interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Merges concurrent single writes into batch writes, for a backend whose batch write is one durable
 * operation (one statement, one transaction, one Redis MULTI): `add(item)` resolves with the item's own
 * result once the batch holding it is stored, and rejects with the batch's error when that write fails,
 * which fails exactly the items it held.
 *
 * Items added in the same turn of the event loop are sent together on the next tick; while `maxInFlight`
 * writes are in flight, new items wait for one to land and then go together. A lone item is sent on the
 * next tick, alone: no timer delays it, and it takes the backend's one-item path. Under load (many
 * callers each awaiting its write) batches grow by themselves, to about the callers waiting per write.
 */
export class WriteCoalescer<T, R> {
  readonly #write: (items: T[]) => Promise<ReadonlyArray<R>>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  #pending: Array<Pending<T, R>> = [];
  #inFlight = 0;
  #scheduled = false;
  /**
   * Batch writes run in the async context where the coalescer was made, not in that of the caller who
   * happened to schedule the flush: a write holds many callers' items, and tracing or request-scoped
   * state (AsyncLocalStorage) of one caller must not claim it.
   */
  readonly #context = new AsyncResource("switchyard.WriteCoalescer");

  /** `write(items)` stores the items and resolves with one result per item, in their order. */
  constructor(write: (items: T[]) => Promise<ReadonlyArray<R>>, options: WriteCoalescerOptions = {}) {
    this.#write = write;
    this.#maxBatch = positiveInteger(options.maxBatch ?? 1_000, "maxBatch");
    this.#maxInFlight = positiveInteger(options.maxInFlight ?? 2, "maxInFlight");
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        process.nextTick(() => this.#context.runInAsyncScope(() => this.#flush()));
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#pending.length > 0 && this.#inFlight < this.#maxInFlight) {
      this.#send(this.#pending.splice(0, this.#maxBatch));
    }
  }

  #send(batch: Array<Pending<T, R>>): void {
    this.#inFlight++;
    let written: Promise<ReadonlyArray<R>>;
    try {
      written = this.#write(batch.map((pending) => pending.item));
    } catch (error) {
      written = Promise.reject(error);
    }
    written
      .then(
        (results) => {
          if (results.length !== batch.length) {
            throw new Error(`a batch write of ${batch.length} items returned ${results.length} results`);
          }
          for (const [index, pending] of batch.entries()) pending.resolve(results[index]!);
        },
        (error: unknown) => {
          for (const pending of batch) pending.reject(error);
        },
      )
      .catch((error: unknown) => {
        for (const pending of batch) pending.reject(error);
      })
      .finally(() => {
        this.#inFlight--;
        if (this.#pending.length > 0 && !this.#scheduled) this.#flush();
      });
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`WriteCoalescer: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
