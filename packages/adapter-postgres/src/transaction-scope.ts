import { AsyncLocalStorage } from "node:async_hooks";
import {
  ConfigError,
  type EnqueueOptions,
  type EnqueueResult,
  type JobDefinition,
  type PayloadInput,
  type PayloadSchema,
  type Switchyard,
} from "@switchyard/core";
import type { ClientBase } from "pg";

/** A `pg` client (a `Client`, or a `PoolClient` checked out of a pool) inside the caller's open transaction. */
export type TransactionClient = Pick<ClientBase, "query">;

const scope = new AsyncLocalStorage<{ backend: object; client: TransactionClient }>();

/** The caller's transaction client while `backend` enqueues inside `enqueueInTransaction`. */
export function transactionClientFor(backend: object): TransactionClient | undefined {
  const current = scope.getStore();
  return current?.backend === backend ? current.client : undefined;
}

/** Marks backends that can enqueue in a transaction (the PostgreSQL backend). */
export const TRANSACTIONAL = Symbol.for("switchyard.postgres.transactional");

function checkTransactional(jobs: Switchyard, client: TransactionClient): void {
  if (!(jobs?.backend as { [TRANSACTIONAL]?: boolean })?.[TRANSACTIONAL]) {
    throw new ConfigError(
      `enqueueInTransaction needs a client created with the postgres() backend, not "${jobs?.capabilities?.backend}"`,
    );
  }
  if (typeof client?.query !== "function") {
    throw new ConfigError(
      "enqueueInTransaction needs a pg client (Client or PoolClient) inside an open transaction",
    );
  }
}

/**
 * Enqueues inside the caller's PostgreSQL transaction: the job (and its idempotency key) exists only if the
 * transaction commits, and workers hear of it at commit. `client` must have run `BEGIN` and must be
 * connected to the database of the backend's schema. Everything else is `jobs.enqueue`: the payload is
 * validated and the options checked first.
 *
 * ```ts
 * await db.query("begin");
 * await db.query("insert into orders ...");
 * await enqueueInTransaction(jobs, db, sendReceipt, { orderId });
 * await db.query("commit"); // the job is visible to workers from here; a rollback removes it
 * ```
 */
export async function enqueueInTransaction<S extends PayloadSchema>(
  jobs: Switchyard,
  client: TransactionClient,
  job: JobDefinition<S, unknown>,
  payload: PayloadInput<S>,
  options?: EnqueueOptions,
): Promise<EnqueueResult> {
  checkTransactional(jobs, client);
  return scope.run({ backend: jobs.backend, client }, () => jobs.enqueue(job, payload, options));
}

/** `enqueueMany` inside the caller's transaction; see `enqueueInTransaction`. */
export async function enqueueManyInTransaction<S extends PayloadSchema>(
  jobs: Switchyard,
  client: TransactionClient,
  job: JobDefinition<S, unknown>,
  payloads: ReadonlyArray<PayloadInput<S>>,
  options?: Omit<EnqueueOptions, "idempotencyKey">,
): Promise<EnqueueResult[]> {
  checkTransactional(jobs, client);
  return scope.run({ backend: jobs.backend, client }, () => jobs.enqueueMany(job, payloads, options));
}
