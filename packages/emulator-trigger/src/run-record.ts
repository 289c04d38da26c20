import type { MachinePresetName, RunStatus, TaskRunError } from "@trigger.dev/core/v3";
import type { AttemptRecord, EmulatedRun } from "./types.js";

/** How the run was created, as the API reports it (`triggerFunction`). */
export type TriggerFunction = "trigger" | "triggerAndWait" | "batchTrigger" | "batchTriggerAndWait";

/** The emulator's mutable record of a run; {@link EmulatedRun} is its read-only public face. */
export interface RunRecord extends EmulatedRun {
  status: RunStatus;
  /** Set at trigger time; `POST /api/v1/runs/{id}/tags` adds to them. */
  tags: string[];
  /** Serialised payload exactly as triggered (`stringifyIO` output). */
  payloadPacket: { data?: string; dataType: string };
  payload: unknown;
  outputPacket?: { data?: string; dataType: string };
  output: unknown;
  error?: TaskRunError;
  /** Metadata given at trigger time; replay copies it (W:apps/webapp/app/v3/services/replayTaskRun.server.ts). */
  seedMetadata?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  attempts: AttemptRecord[];
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  delayUntil?: Date;
  /** When the run entered (or re-entered, after a retry wait) its queue. Orders dequeuing. */
  queuedAt: Date;
  /** Seconds of queue-time credit (the `priority` trigger option). */
  priority: number;
  /** `ttl` as given (string like "10m", or seconds). */
  ttl?: string | number;
  expiredAt?: Date;
  /** Named concurrency limits this run holds, from the task and the `concurrency` trigger option. */
  concurrencyLimits: string[];
  idempotencyKey?: string;
  idempotencyKeyExpiresAt?: Date;
  idempotencyKeyOptions?: { key: string; scope: "run" | "attempt" | "global" };
  maxAttempts?: number;
  maxDurationSeconds?: number;
  machine?: MachinePresetName;
  isTest: boolean;
  depth: number;
  rootRunId?: string;
  triggerFunction: TriggerFunction;
  lockToVersion?: string;
  region?: string;
  /** When the next attempt may start while the run waits between attempts. */
  retryAt?: Date;
  /** Total wall-clock time spent in attempts, reported as `durationMs`. */
  durationMs: number;
}
