// counts() and list() of `bullmq({ postgres })`: one SQL statement on BullMQ's `job` table (its schema
// is documented and migrated by BullMQ: one row per job, a `state` column, promoted timestamps) and the
// adapter's `switchyard_cancelled`, across every job in scope at once.
import {
  JOB_CANCELLED_ERROR_CODE,
  type JobCounts,
  type JobPage,
  type JobSnapshot,
  type JobState,
} from "@switchyard/core";
import type { JobState as BullmqJobState } from "bullmq";
import { decodeListCursor, encodeListCursor } from "./list-cursor.js";
import { cancelledRecordOf } from "./postgres-cancellations.js";
import type { PostgresQueue } from "./postgres-connections.js";
import { toPostgresSnapshot } from "./postgres-payload.js";
import type { PostgresStore } from "./postgres-store.js";

/**
 * Where a page stopped: the sort key of the last row listed, `[key, seq, queue, id]`. Every job that
 * stays in the state keeps its key (the time it entered the state, or its creation for a waiting
 * job), so the next page, the rows below it, never skips one, whatever left the state meanwhile.
 */
interface RowAnchor {
  p: [number, number, string, string];
}

/** The single stream of a PostgreSQL cursor (list-cursor.ts holds several on Redis). */
const STREAM = "rows";

// Parameters are named (:queues, the jobs in scope; :code, SWITCHYARD_JOB_CANCELLED; :now, ms) and
// numbered by `bind`, since a state's statement uses only some of them.

/**
 * A failed job that failed because it was cancelled while it ran: isCancelledJob (job-snapshot.ts) in
 * SQL, whose code is the start of its last stack trace entry, `<code>: <failedReason>`.
 */
const CANCELLED_WHILE_RUNNING = `(state = 'failed' AND failed_reason IS NOT NULL
  AND coalesce(starts_with(stacktrace ->> -1, :code::text || ': ' || failed_reason), false))`;

/** Records of jobs cancelled before they ran, while kept (a running job's mark is a JSON string). */
const CANCELLED_RECORDS = `switchyard_cancelled
  WHERE queue = ANY(:queues::text[]) AND expires_at_ms > :now::bigint AND jsonb_typeof(record) = 'object'`;

const COUNTS = `
SELECT
  count(*) FILTER (WHERE state IN ('waiting', 'waiting-children')) AS waiting,
  count(*) FILTER (WHERE state = 'delayed') AS delayed,
  count(*) FILTER (WHERE state = 'active') AS active,
  count(*) FILTER (WHERE state = 'completed') AS completed,
  count(*) FILTER (WHERE state = 'failed' AND NOT ${CANCELLED_WHILE_RUNNING}) AS failed,
  count(*) FILTER (WHERE ${CANCELLED_WHILE_RUNNING})
    + (SELECT count(*) FROM ${CANCELLED_RECORDS}) AS cancelled
FROM job WHERE queue = ANY(:queues::text[])`;

/** The rows of a job state, sorted newest first by `key` (ms), then `seq` (BullMQ's insertion order). */
function jobRows(where: string, key: string): string {
  return `SELECT queue, id, ${key} AS key, abs(seq) AS seq, NULL::jsonb AS record
    FROM job WHERE queue = ANY(:queues::text[]) AND ${where}`;
}

/** What each state lists; the keys are those the Redis adapter merges its streams on (job-listing.ts). */
const ROWS_OF: Record<JobState, string> = {
  waiting: jobRows("state IN ('waiting', 'waiting-children')", "added_at_ms"),
  active: jobRows("state = 'active'", "coalesce(processed_at_ms, added_at_ms)"),
  delayed: jobRows("state = 'delayed'", "coalesce(process_at_ms, added_at_ms)"),
  completed: jobRows("state = 'completed'", "coalesce(finished_at_ms, added_at_ms)"),
  failed: jobRows(
    `state = 'failed' AND NOT ${CANCELLED_WHILE_RUNNING}`,
    "coalesce(finished_at_ms, added_at_ms)",
  ),
  // Cancelled while running: when BullMQ failed it; before: when it was cancelled (its record's end).
  cancelled: `${jobRows(CANCELLED_WHILE_RUNNING, "coalesce(finished_at_ms, added_at_ms)")}
    UNION ALL
    SELECT queue, job_id, (extract(epoch FROM (record ->> 'finishedAt')::timestamptz) * 1000)::bigint,
      0, record
    FROM ${CANCELLED_RECORDS}`,
};

/** :key, :seq, :queue, :id: the anchor (nulls for the first page); :rows: how many rows. */
function pageQuery(state: JobState): string {
  return `
WITH listed (queue, id, key, seq, record) AS (${ROWS_OF[state]})
SELECT queue, id, key, seq, record FROM listed
WHERE :key::bigint IS NULL OR (key, seq, queue, id) < (:key::bigint, :seq::bigint, :queue::text, :id::text)
ORDER BY key DESC, seq DESC, queue DESC, id DESC
LIMIT :rows::integer`;
}

/** The BullMQ state a listed job is read as (toJobSnapshot makes a cancelled one's failure cancelled). */
const READ_AS: Record<JobState, BullmqJobState> = {
  waiting: "waiting",
  active: "active",
  delayed: "delayed",
  completed: "completed",
  failed: "failed",
  cancelled: "failed",
};

export async function countPostgresJobs(
  store: PostgresStore,
  queues: ReadonlyArray<string>,
): Promise<JobCounts> {
  const { rows } = await store.query(
    ...bind(COUNTS, { queues, code: JOB_CANCELLED_ERROR_CODE, now: Date.now() }),
  );
  const row = rows[0]!;
  const counts: JobCounts = {};
  for (const state of ["waiting", "delayed", "active", "completed", "failed", "cancelled"] as const) {
    counts[state] = Number(row[state] ?? 0);
  }
  return counts;
}

/**
 * One page of `state` across `queues`: the rows after the cursor's, newest first, each read back as a
 * BullMQ job (a job removed since is left out; the cursor still moves past it).
 */
export async function listPostgresPage(
  store: PostgresStore,
  queue: (name: string) => PostgresQueue,
  queues: ReadonlyArray<string>,
  options: { state: JobState; job: string | undefined; limit: number; cursor: string | undefined },
): Promise<JobPage> {
  const { state, job, limit } = options;
  const anchor =
    options.cursor === undefined
      ? undefined
      : decodeListCursor<RowAnchor>(options.cursor, state, job, isRowAnchor).anchors[STREAM];
  const [key, seq, queueName, id] = anchor?.p ?? [null, null, null, null];
  const { rows } = await store.query(
    ...bind(pageQuery(state), {
      queues,
      code: JOB_CANCELLED_ERROR_CODE,
      now: Date.now(),
      key,
      seq,
      queue: queueName,
      id,
      rows: limit + 1,
    }),
  );
  const page = rows.slice(0, limit);
  const snapshots = await Promise.all(
    page.map(async (row): Promise<JobSnapshot | undefined> => {
      if (row.record !== null) return cancelledRecordOf(row.record);
      const name = String(row.queue);
      const found = await queue(name).getJob(String(row.id));
      return found && toPostgresSnapshot(name, found, READ_AS[state]);
    }),
  );
  const last = page.at(-1);
  const next: RowAnchor | undefined = last && {
    p: [Number(last.key), Number(last.seq), String(last.queue), String(last.id)],
  };
  return {
    jobs: snapshots.filter((snapshot) => snapshot !== undefined),
    cursor:
      rows.length > limit && next
        ? encodeListCursor<RowAnchor>({ state, job: job ?? null, anchors: { [STREAM]: next } })
        : undefined,
  };
}

function isRowAnchor(value: unknown): boolean {
  const position = (value as Partial<RowAnchor> | null)?.p;
  return (
    Array.isArray(position) &&
    position.length === 4 &&
    Number.isSafeInteger(position[0]) &&
    Number.isSafeInteger(position[1]) &&
    typeof position[2] === "string" &&
    typeof position[3] === "string"
  );
}

/** `sql` with its `:name` parameters numbered ($1, $2...) in order of first use, and their values. */
function bind(sql: string, values: Record<string, unknown>): [string, unknown[]] {
  const order: string[] = [];
  const text = sql.replace(/(?<!:):([a-z]+)\b/g, (_match, name: string) => {
    if (!(name in values)) throw new Error(`no value for :${name}`);
    let index = order.indexOf(name);
    if (index < 0) index = order.push(name) - 1;
    return `$${index + 1}`;
  });
  return [text, order.map((name) => values[name])];
}
