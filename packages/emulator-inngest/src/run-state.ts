import type { Slot } from "./concurrency-limiter.js";
import type { InngestEvent, RunSnapshot, RunStatus } from "./types.js";

/** The executor's mutable record of one function run. */
export interface RunState {
  id: string;
  functionSlug: string;
  functionId: string;
  functionUuid: string;
  appId: string;
  functionName: string;
  eventId: string;
  event: InngestEvent;
  cron?: string;
  /** For a rerun (`POST /v2/runs/{id}/rerun`): the run it repeats, the first of the chain. */
  originalRunId?: string;
  status: RunStatus;
  queuedAt: Date;
  startedAt?: Date;
  endedAt?: Date;
  output?: unknown;
  error?: unknown;
  cancelReason?: string;
  /** Memoised step values keyed by hashed step id: `{data}`, `{error}` or `null` (G:pkg/execution/state/opcode.go:126-149). */
  steps: Record<string, unknown>;
  /** Hashed step ids in completion order, sent as `ctx.stack.stack`. */
  stack: string[];
  /** Planned steps and sleeps still outstanding; discovery resumes when empty. */
  pending: Set<string>;
  calls: number;
  maxAttempts: number;
  /** Execution version the SDK answered with (`x-inngest-req-version`); -1 lets the SDK decide. */
  version: number;
  slots: Slot[];
  /**
   * The run's items in the server's queue, by step id ("step" = discovery, a sleep's op id): each
   * due at `at` (past while its call is in flight or it waits for a slot), with the attempt it will
   * make. A retry requeues the item with a later `at` and `attempt + 1`
   * (G:pkg/execution/queue/process.go:503-525); an item leaves the queue once its call was answered.
   * Read by `GET /v1/runs/{id}/jobs`.
   */
  queue: Map<string, QueuedJob>;
  /** The queue items whose call is in flight, by item id (`ctx.qi_id`): a checkpoint resets their attempt. */
  inFlight: Map<string, { attempt: number }>;
}

/** One queue item of a run, as `GET /v1/runs/{id}/jobs` shows it (G:pkg/execution/queue/queue.go:255-268). */
export interface QueuedJob {
  id: string;
  at: Date;
  /** `start` (first call), `edge` (a later call), `sleep`, `pause` (an invoke's timeout) (G:pkg/execution/queue/kind.go). */
  kind: "start" | "edge" | "sleep" | "pause";
  /** 0-based attempt of the item's next call. */
  attempt: number;
}

export function isEnded(run: RunState): boolean {
  return run.status === "Completed" || run.status === "Failed" || run.status === "Cancelled";
}

/** A deep copy safe to hand to callers. */
export function snapshotRun(run: RunState): RunSnapshot {
  return structuredClone({
    id: run.id,
    functionSlug: run.functionSlug,
    functionId: run.functionId,
    appId: run.appId,
    status: run.status,
    eventId: run.eventId,
    event: run.event,
    cron: run.cron,
    originalRunId: run.originalRunId,
    queuedAt: run.queuedAt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    output: run.output,
    error: run.error,
    cancelReason: run.cancelReason,
    steps: run.steps,
    calls: run.calls,
    maxAttempts: run.maxAttempts,
  });
}
