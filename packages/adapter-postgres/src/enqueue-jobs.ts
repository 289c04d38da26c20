import type { EnqueueResult } from "@switchyard/core";
import type { EnqueueRequest } from "@switchyard/core/adapter";
import type pg from "pg";
import type { BackendLifecycle } from "./backend-lifecycle.js";
import { isConnectionError, toBackendError, wasNeverSent } from "./connection-errors.js";
import { addJob } from "./sql/add-job.js";
import { addJobOnce } from "./sql/add-job-once.js";
import { addJobs } from "./sql/add-jobs.js";
import type { NewJob } from "./sql/new-job.js";
import type { Queryable } from "./sql/queryable.js";
import { traceFlags } from "./trace-flag.js";
import type { TransactionClient } from "./transaction-scope.js";

/** Due times notified at most per batch (each wakes idle workers when it comes). */
const MAX_NOTIFIED_DUE_TIMES = 200;

/**
 * Enqueues in one statement (one job, or unkeyed jobs in one `add_jobs`), or, for several keyed jobs, in
 * one transaction (all or nothing); in `transaction` when the caller gave theirs. A connection failure is
 * a BackendUnavailableError whose `stored` says `"no"` when the storing statement (the only one, or the
 * COMMIT) was never sent, `"unknown"` when it was sent and the answer was lost (the server may have
 * committed).
 */
export async function enqueueJobs(
  lifecycle: BackendLifecycle,
  requests: ReadonlyArray<EnqueueRequest>,
  transaction: TransactionClient | undefined,
): Promise<EnqueueResult[]> {
  await lifecycle.ready();
  if (transaction) {
    // Nothing is stored unless the caller's transaction commits, which a lost connection prevents.
    try {
      return await enqueueOn(lifecycle, transaction, requests, false);
    } catch (error) {
      throw lifecycle.notInstalled(error) ?? toBackendError(error, "enqueue", "no");
    }
  }
  let client: pg.PoolClient;
  try {
    client = await lifecycle.pool.connect();
  } catch (error) {
    throw toBackendError(error, "enqueue", "no");
  }
  const oneStatement =
    requests.length === 1 || requests.every((request) => request.idempotencyKey === undefined);
  let inTransaction = false;
  let storing = false;
  try {
    let results: EnqueueResult[];
    if (oneStatement) {
      storing = true;
      results = await enqueueOn(lifecycle, client, requests, true);
    } else {
      inTransaction = true;
      await client.query("begin");
      results = await enqueueOn(lifecycle, client, requests, true);
      storing = true;
      await client.query("commit");
    }
    client.release();
    return results;
  } catch (error) {
    const lost = isConnectionError(error);
    if (inTransaction && !lost) await client.query("rollback").catch(() => {});
    // A broken connection is destroyed, not handed to the next caller.
    client.release(lost ? (error as Error) : undefined);
    throw (
      lifecycle.notInstalled(error) ??
      toBackendError(error, "enqueue", storing && !wasNeverSent(error) ? "unknown" : "no")
    );
  }
}

async function enqueueOn(
  lifecycle: BackendLifecycle,
  db: Queryable,
  requests: ReadonlyArray<EnqueueRequest>,
  prepared: boolean,
): Promise<EnqueueResult[]> {
  const now = Date.now();
  const jobs = requests.map((request, index) => newJob(lifecycle, request, index, requests.length));
  const { schema } = lifecycle;
  if (requests.length > 1 && requests.every((request) => request.idempotencyKey === undefined)) {
    const due = new Map<number, number>();
    for (const request of requests) {
      const runAt = request.runAt?.getTime();
      if (runAt !== undefined && runAt > now) due.set(runAt, (due.get(runAt) ?? 0) + 1);
    }
    const notification =
      due.size > 0 ? lifecycle.notification({ due: [...due].slice(0, MAX_NOTIFIED_DUE_TIMES) }) : null;
    const ids = await addJobs(db, schema, jobs, notification);
    return ids.map((id) => ({ id, deduplicated: false }));
  }
  const results: EnqueueResult[] = [];
  for (const [index, request] of requests.entries()) {
    const job = jobs[index]!;
    const due = request.runAt && request.runAt.getTime() > now ? request.runAt.getTime() : undefined;
    const notification = due === undefined ? null : lifecycle.notification({ due: [[due, 1]] });
    if (request.idempotencyKey === undefined) {
      results.push({ id: await addJob(db, schema, job, { notification, prepared }), deduplicated: false });
    } else {
      const key = {
        key: request.idempotencyKey,
        ttlMs: request.idempotencyTtlMs ?? lifecycle.options.idempotencyTtlMs,
      };
      results.push(await addJobOnce(db, schema, job, key, { notification, prepared }));
    }
  }
  return results;
}

function newJob(lifecycle: BackendLifecycle, request: EnqueueRequest, index: number, count: number): NewJob {
  return {
    name: request.job.name,
    payloadJson: payloadJson(request.payload),
    lane: lifecycle.lanes.laneOf(request.job, request.concurrencyKey),
    runAt: request.runAt,
    maxAttempts: request.job.retry.maxAttempts,
    priority: request.priority,
    flags: traceFlags(request.traceContext),
    index,
    count,
  };
}

/** The payload as stored: any JSON value, `null` included (graphile-worker's `add_job` would make SQL NULL `{}`). */
export function payloadJson(payload: unknown): string {
  return JSON.stringify(payload === undefined ? null : payload);
}
