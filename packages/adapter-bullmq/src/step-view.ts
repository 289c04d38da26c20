import type { JobSnapshot } from "@switchyard/core";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { stepIdsOf } from "./step-fields.js";

/** What `get(id)` reads beside BullMQ's job: its completed steps, and its due time if it is delayed. */
export interface StepView {
  steps: string[] | undefined;
  /** The job's score in the delayed set, if it is there. */
  dueAt: Date | undefined;
}

/**
 * Reads the step fields of a job's hash (BullMQ's own reading drops them) and its score in the
 * delayed set, in one round trip. BullMQ keeps no due time in the job: the delayed set's score is
 * the due time × 4096 plus a tie-breaker below 4096, whatever delayed the job (an enqueue's delay, a
 * retry's backoff, a sleep or a wait for a child).
 */
export async function readStepView(redis: Redis, queue: Queue, jobId: string): Promise<StepView> {
  const replies = await redis
    .pipeline()
    .hgetall(queue.toKey(jobId))
    .zscore(queue.keys.delayed!, jobId)
    .exec();
  const [hashReply, scoreReply] = replies ?? [];
  if (hashReply?.[0]) throw hashReply[0];
  if (scoreReply?.[0]) throw scoreReply[0];
  const score = scoreReply?.[1] as string | null | undefined;
  return {
    steps: stepIdsOf((hashReply?.[1] ?? {}) as Record<string, string>),
    dueAt: score == null ? undefined : new Date(Math.floor(Number(score) / 0x1000)),
  };
}

/** The snapshot with the view's steps, and for a delayed job the due time the delayed set holds. */
export function withStepView(snapshot: JobSnapshot, view: StepView): JobSnapshot {
  if (view.steps) snapshot.steps = view.steps;
  if (snapshot.state === "delayed" && view.dueAt) snapshot.runAt = view.dueAt;
  return snapshot;
}
