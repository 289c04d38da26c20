// counts() and list() of the BullMQ backend. Each job is its own BullMQ queue: counts add up the
// queues' counts, and a page merges the newest-first streams of every queue (job-streams.ts).
import type { JobCounts, JobPage, JobSnapshot, JobState } from "@switchyard/core";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Cancellations } from "./cancellations.js";
import { streamsOf } from "./job-streams.js";
import { decodeListCursor, encodeListCursor } from "./list-cursor.js";

/** One job's counts: BullMQ's, with the jobs it failed because they were cancelled moved to cancelled. */
export async function countQueue(queue: Queue, cancellations: Cancellations): Promise<JobCounts> {
  const [counts, cancelled] = await Promise.all([
    queue.getJobCounts(
      "waiting",
      "prioritized",
      "waiting-children",
      "delayed",
      "active",
      "completed",
      "failed",
    ),
    cancellations.counts(queue),
  ]);
  const count = (type: string) => counts[type] ?? 0;
  return {
    waiting: count("waiting") + count("prioritized") + count("waiting-children"),
    delayed: count("delayed"),
    active: count("active"),
    completed: count("completed"),
    failed: Math.max(0, count("failed") - cancelled.failed),
    cancelled: cancelled.cancelled,
  };
}

export function addCounts(all: ReadonlyArray<JobCounts>): JobCounts {
  const total: JobCounts = {};
  for (const counts of all) {
    for (const [state, count] of Object.entries(counts) as Array<[JobState, number]>) {
      total[state] = (total[state] ?? 0) + count;
    }
  }
  return total;
}

/**
 * One page of jobs in `state` across `queues`: each stream reads up to `limit` jobs after where the
 * cursor left it, and the page takes the newest of them (merge keys: creation for waiting jobs, start
 * for active ones, due time for delayed ones, end for finished ones, cancellation for cancelled ones).
 */
export async function listPage(
  queues: ReadonlyArray<Queue>,
  options: { state: JobState; job: string | undefined; limit: number; cursor: string | undefined },
  context: { redis: Redis; prefix: string; cancellations: Cancellations },
): Promise<JobPage> {
  const { state, job, limit } = options;
  const anchors = options.cursor === undefined ? {} : decodeListCursor(options.cursor, state, job).anchors;
  const streams = queues.flatMap((queue) => streamsOf(state, queue, context));
  const reads = await Promise.all(streams.map((stream) => stream.read(anchors[stream.id], limit)));
  const next = { ...anchors };
  const taken = reads.map(() => 0);
  const jobs: JobSnapshot[] = [];
  while (jobs.length < limit) {
    let newest = -1;
    for (const [index, read] of reads.entries()) {
      const head = read.entries[taken[index]!];
      if (head && (newest < 0 || head.key > reads[newest]!.entries[taken[newest]!]!.key)) newest = index;
    }
    if (newest < 0) break;
    const entry = reads[newest]!.entries[taken[newest]!++]!;
    jobs.push(entry.snapshot);
    next[streams[newest]!.id] = entry.anchor;
  }
  const more = reads.some((read, index) => read.more || taken[index]! < read.entries.length);
  return {
    jobs,
    cursor: more ? encodeListCursor({ state, job: job ?? null, anchors: next }) : undefined,
  };
}
