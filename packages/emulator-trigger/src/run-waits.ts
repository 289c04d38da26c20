import { randomBytes } from "node:crypto";
import type { RunRecord } from "./run-record.js";

/** A DATETIME waitpoint, as `wait.for` / `wait.until` create it: it completes at `completedAfter`. */
export interface DateTimeWaitpoint {
  /** The friendly id (`waitpoint_…`) the SDK waits on. */
  id: string;
  runId: string;
  completedAfter: Date;
  status: "PENDING" | "COMPLETED";
  idempotencyKey?: string;
  idempotencyKeyExpiresAt?: Date;
}

/** What RunWaits needs from the run engine. */
export interface RunWaitsHooks {
  /** Multiplies the time until a waitpoint completes (the emulator's `delayTimeScale`). */
  delayTimeScale: number;
  /** Whether the platform checkpoints waiting runs here (deployed environments, not `trigger dev`). */
  checkpoints: boolean;
  /** The run's process was checkpointed: it gives its concurrency back and shows WAITING. */
  checkpointed(run: RunRecord): void;
  /** The run is unblocked: queue it again to be restored from its checkpoint (then {@link RunWaits.restore}). */
  requeue(run: RunRecord): void;
}

/** The one thing a run's code asks of its waits: block until a waitpoint completes. */
export interface RunWaitHandle {
  waitForWaitpoint(waitpointId: string): Promise<void>;
}

interface Blocked {
  waitpoint: DateTimeWaitpoint;
  /** Set once the run's code waits on the waitpoint (the worker then reports it suspendable). */
  waiter?: { resolve(): void; reject(error: Error): void };
  checkpointed: boolean;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs blocked by `wait.for` / `wait.until`, modelled on the run engine's waitpoint and checkpoint
 * systems:
 *
 * - `POST /engine/v1/runs/{id}/wait/duration` creates a DATETIME waitpoint completing at the given
 *   date (`createDateTimeWaitpoint`; an idempotency key still live returns the first waitpoint) and
 *   blocks the run with it (`blockRunWithWaitpoint`): its execution snapshot becomes
 *   EXECUTING_WITH_WAITPOINTS (W:apps/webapp/app/routes/engine.v1.runs.$runFriendlyId.wait.duration.ts;
 *   W:internal-packages/run-engine/src/engine/systems/waitpointSystem.ts blockRunWithWaitpoint).
 * - Once the run's code waits, a deployed environment checkpoints it: snapshot SUSPENDED, run status
 *   WAITING_TO_RESUME (the API's WAITING, W:apps/webapp/app/presenters/v3/ApiRetrieveRunPresenter.server.ts),
 *   and "Releasing concurrency for run because it was checkpointed"
 *   (W:internal-packages/run-engine/src/engine/systems/checkpointSystem.ts). Checkpointing as soon as
 *   the code waits is inferred: the platform does it once the worker reports the run suspendable.
 *   Under `trigger dev` there is no checkpoint: the run keeps executing and its slot (inferred).
 * - When the waitpoint completes, `continueRunIfUnblocked` either continues a run still executing,
 *   or puts a SUSPENDED one back in its queue "with the original timestamp", to be restored from
 *   its checkpoint once it gets a slot again (waitpointSystem.ts continueRunIfUnblocked). The
 *   attempt number never changes: a wait is not an attempt.
 * - A checkpointed run survives its machine (it is not executing anywhere); a canceled run is
 *   never restored.
 */
export class RunWaits {
  readonly #hooks: RunWaitsHooks;
  readonly #blocked = new Map<string, Blocked>();
  readonly #byKey = new Map<string, DateTimeWaitpoint>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Runs queued to be restored from their checkpoint. */
  readonly #restoring = new Set<string>();

  constructor(hooks: RunWaitsHooks) {
    this.#hooks = hooks;
  }

  /** `wait/duration`: a DATETIME waitpoint for `run`, which now blocks it. */
  waitForDuration(
    run: RunRecord,
    date: Date,
    idempotency: { key?: string; expiresAt?: Date } = {},
    now = Date.now(),
  ): DateTimeWaitpoint {
    const cached = idempotency.key ? this.#byKey.get(idempotency.key) : undefined;
    const live =
      cached && (!cached.idempotencyKeyExpiresAt || cached.idempotencyKeyExpiresAt.getTime() > now);
    const waitpoint: DateTimeWaitpoint = live
      ? cached
      : {
          id: `waitpoint_${randomBytes(12).toString("hex")}`,
          runId: run.id,
          completedAfter: date,
          status: "PENDING",
          ...(idempotency.key ? { idempotencyKey: idempotency.key } : {}),
          ...(idempotency.expiresAt ? { idempotencyKeyExpiresAt: idempotency.expiresAt } : {}),
        };
    if (!live && idempotency.key) this.#byKey.set(idempotency.key, waitpoint);
    if (waitpoint.status === "COMPLETED") return waitpoint; // blocking on it changes nothing
    this.#blocked.set(run.id, { waitpoint, checkpointed: false });
    this.#arm(run, waitpoint, (waitpoint.completedAfter.getTime() - now) * this.#hooks.delayTimeScale);
    return waitpoint;
  }

  /** The handle a run's attempt waits through (the SDK's runtime manager calls it). */
  handleFor(run: RunRecord): RunWaitHandle {
    return {
      waitForWaitpoint: (waitpointId) => this.#wait(run, waitpointId),
    };
  }

  /** Whether the run is checkpointed (not executing on any machine). */
  isCheckpointed(runId: string): boolean {
    return this.#blocked.get(runId)?.checkpointed === true;
  }

  /** Whether the dispatcher gave a slot to a run to restore, not to a new attempt. */
  isRestoring(runId: string): boolean {
    return this.#restoring.has(runId);
  }

  /** The run got a slot again: restore it from its checkpoint, its code goes on after the wait. */
  restore(run: RunRecord): void {
    this.#restoring.delete(run.id);
    const blocked = this.#blocked.get(run.id);
    this.#blocked.delete(run.id);
    run.status = "EXECUTING";
    blocked?.waiter?.resolve();
  }

  /** The run ended (canceled, timed out): it is never restored; its code's wait rejects. */
  forget(runId: string, reason: string): void {
    clearTimeout(this.#timers.get(runId));
    this.#timers.delete(runId);
    this.#restoring.delete(runId);
    const blocked = this.#blocked.get(runId);
    this.#blocked.delete(runId);
    blocked?.waiter?.reject(new Error(`Trigger emulator: the run ended while waiting (${reason})`));
  }

  close(): void {
    for (const runId of [...this.#blocked.keys()]) this.forget(runId, "emulator closed");
  }

  #wait(run: RunRecord, waitpointId: string): Promise<void> {
    const blocked = this.#blocked.get(run.id);
    if (!blocked || blocked.waitpoint.id !== waitpointId) return Promise.resolve(); // already completed
    return new Promise<void>((resolve, reject) => {
      blocked.waiter = { resolve, reject };
      if (this.#hooks.checkpoints) {
        blocked.checkpointed = true;
        this.#hooks.checkpointed(run);
      }
    });
  }

  #arm(run: RunRecord, waitpoint: DateTimeWaitpoint, waitMs: number): void {
    clearTimeout(this.#timers.get(run.id));
    const timer = setTimeout(
      () => {
        if (waitMs > MAX_TIMER_MS) return this.#arm(run, waitpoint, waitMs - MAX_TIMER_MS);
        this.#timers.delete(run.id);
        this.#complete(run, waitpoint);
      },
      Math.min(Math.max(0, waitMs), MAX_TIMER_MS),
    );
    timer.unref();
    this.#timers.set(run.id, timer);
  }

  #complete(run: RunRecord, waitpoint: DateTimeWaitpoint): void {
    waitpoint.status = "COMPLETED";
    const blocked = this.#blocked.get(run.id);
    if (!blocked || blocked.waitpoint !== waitpoint) return;
    if (blocked.checkpointed) {
      this.#restoring.add(run.id);
      this.#hooks.requeue(run);
      return;
    }
    // Still executing (EXECUTING_WITH_WAITPOINTS): it continues in place.
    this.#blocked.delete(run.id);
    blocked.waiter?.resolve();
  }
}
