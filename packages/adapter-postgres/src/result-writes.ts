import { WriteCoalescer } from "@switchyard/core/adapter";
import type { Pool } from "pg";
import { type RetryScope, retryWhileTransient } from "./outcome-retries.js";
import { recordResults } from "./sql/record-results.js";

/**
 * The results of a worker's attempts, each stored before its job completes: the results of attempts
 * that end at the same time go in one statement (core's WriteCoalescer; a lone one goes alone on the next
 * tick), written again until the database answers, as every outcome is. Each `store` resolves once its
 * result is stored, and rejects with its statement's error.
 */
export class ResultWrites {
  readonly #coalescer: WriteCoalescer<{ id: string; result: unknown }, void>;

  constructor(pool: Pool, schema: string, scope: RetryScope) {
    this.#coalescer = new WriteCoalescer<{ id: string; result: unknown }, void>(async (results) => {
      // One row per job in a statement (an upsert may not touch a row twice): the last result wins.
      const byId = new Map(results.map((entry) => [entry.id, entry]));
      await retryWhileTransient(
        () => recordResults(pool, schema, [...byId.values()]),
        scope,
        `storing the results of ${byId.size} job(s)`,
      );
      return results.map(() => undefined);
    });
  }

  store(id: string, result: unknown): Promise<void> {
    return this.#coalescer.add({ id, result });
  }
}
