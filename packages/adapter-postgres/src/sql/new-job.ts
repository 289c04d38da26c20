// What the three enqueue statements (add-job, add-job-once, add-jobs) share: a job to add, and the SQL
// that gives it its lane and its due time.

/** One job to add, as the enqueue statements take it. */
export interface NewJob {
  name: string;
  /** The payload, serialised once (any JSON value, `null` included). */
  payloadJson: string;
  lane: Lane;
  runAt: Date | undefined;
  maxAttempts: number;
  priority: number | undefined;
  /** graphile-worker `flags` (the trace flag, trace-flag.ts), or null. */
  flags: string[] | null;
  /** Its place in its batch (0 and 1 for a single job): see `batchRunAtSql`. */
  index: number;
  count: number;
}

/**
 * The named queue a job may go to: `<base>#<turn mod limit>`, where the limit is the one the workers
 * stored for the job (`switchyard_concurrency`), else `fallbackLimit` (this process's definition), and
 * no queue at all without a limit. See concurrency-lanes.ts.
 */
export interface Lane {
  base: string;
  turn: number;
  fallbackLimit: number | null;
}

/** The SQL of a job's queue name, from parameters holding the job's name and its lane. */
export function queueNameSql(schemaSql: string, name: string, lane: Record<keyof Lane, string>): string {
  return `${schemaSql}.switchyard_queue_name(${name}, ${lane.base}, ${lane.turn}, ${lane.fallbackLimit})`;
}

/** The SQL of a lane's queue name once its limit is known (`limit`: null for none), as switchyard_queue_name. */
export function laneQueueNameSql(base: string, turn: string, limit: string): string {
  return `case when (${limit}) is null then null else ${base} || '#' || (${turn} % (${limit}))::text end`;
}

/**
 * The SQL of a job's `run_at`. graphile-worker fetches by (priority, run_at) only, and returns jobs that
 * share both in whatever order the plan reads them (heap order, which stops following insertion order once
 * the space of deleted jobs is reused). So the jobs of one batch never share a run_at: jobs due now are
 * backdated one microsecond per later job of the batch (the last one is due at the enqueue), delayed ones
 * are dated one microsecond apart from their time on (never before it).
 */
export function batchRunAtSql(runAt: string, index: string, count: string): string {
  return `case when ${runAt} is null then now() - (${count} - 1 - ${index}) * interval '1 microsecond'
               else ${runAt} + ${index} * interval '1 microsecond' end`;
}
