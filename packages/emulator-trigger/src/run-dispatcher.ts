import { type ConcurrencySlot, concurrencySlots } from "./concurrency-slots.js";
import { resolveTtlMs } from "./durations.js";
import type { RunRecord } from "./run-record.js";
import type { RunStore } from "./run-store.js";

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RunDispatcherOptions {
  /** How many runs may execute at once in the environment (changeable with setEnvironmentLimit). */
  environmentLimit: number;
  /** Multiplies `delay` and `ttl` waits. */
  delayTimeScale: number;
  /** Whether the run's task can be executed now (it is in the catalog). */
  canStart(run: RunRecord): boolean;
  /** Called once a run holds a slot in every pool it needs. */
  start(run: RunRecord): void;
}

/**
 * The emulated run queue: delayed runs wait for `delayUntil`, then queue; queued runs (and runs
 * due for their next attempt) start in order of queue time minus priority credit, each once it
 * has room in every concurrency pool it belongs to; unstarted runs expire after their `ttl`.
 */
export class RunDispatcher {
  readonly #store: RunStore;
  readonly #options: RunDispatcherOptions;
  readonly #ready = new Set<string>();
  readonly #held = new Map<string, ConcurrencySlot[]>();
  readonly #inUse = new Map<string, number>();
  readonly #timers = new Map<string, Set<NodeJS.Timeout>>();
  #environmentLimit: number;
  #paused = false;
  #closed = false;

  constructor(store: RunStore, options: RunDispatcherOptions) {
    this.#store = store;
    this.#options = options;
    this.#environmentLimit = options.environmentLimit;
  }

  /** Starts no more runs until {@link resume}: ready runs stay QUEUED, executing ones go on. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.pump();
  }

  /** Changes the environment's concurrency limit; runs already executing keep their slots. */
  setEnvironmentLimit(limit: number): void {
    this.#environmentLimit = limit;
    this.pump();
  }

  /** Takes a newly created (QUEUED or DELAYED) run. */
  admit(run: RunRecord): void {
    if (run.status === "DELAYED" && run.delayUntil) {
      const waitMs = (run.delayUntil.getTime() - Date.now()) * this.#options.delayTimeScale;
      this.#after(run.id, waitMs, () => this.#enqueueDelayed(run));
      return;
    }
    this.#enqueue(run);
  }

  /** Re-queues a run for its next attempt after `waitMs` (its retry delay, already scaled). */
  requeueAfter(run: RunRecord, waitMs: number): void {
    this.#after(run.id, waitMs, () => {
      run.retryAt = undefined;
      run.queuedAt = new Date();
      this.#store.changed(run);
      this.#ready.add(run.id);
      this.pump();
    });
  }

  /**
   * A checkpointed run whose wait is over goes back in the queue "with the original timestamp
   * (w/ priority)", ahead of newer runs (W:internal-packages/run-engine/src/engine/systems/
   * waitpointSystem.ts continueRunIfUnblocked), and starts again once it has room.
   */
  readmit(run: RunRecord): void {
    this.#ready.add(run.id);
    this.pump();
  }

  /** `runs.reschedule`: a DELAYED run waits for its new `delayUntil` instead. */
  reschedule(run: RunRecord): void {
    this.#clearTimers(run.id);
    this.admit(run);
  }

  /** Frees the slots a run held while executing. Idempotent. */
  release(runId: string): void {
    const slots = this.#held.get(runId);
    if (!slots) return;
    this.#held.delete(runId);
    for (const slot of slots) this.#inUse.set(slot.key, (this.#inUse.get(slot.key) ?? 1) - 1);
    this.pump();
  }

  /** Drops a run that ended outside an attempt (canceled, expired): timers, queue place, slots. */
  forget(runId: string): void {
    this.#ready.delete(runId);
    this.#clearTimers(runId);
    this.release(runId);
  }

  /** Starts every ready run that has room, best queue position first. */
  pump(): void {
    if (this.#closed || this.#paused) return;
    const ready = [...this.#ready]
      .map((id) => this.#store.get(id))
      .filter((run): run is RunRecord => run !== undefined)
      // `priority` is seconds of queue-time credit: "with a value of 10 it will be dequeued before
      // runs that were triggered 9 seconds before it" (C:schemas/common.js TaskRun.priority).
      .sort((a, b) => a.queuedAt.getTime() - a.priority * 1000 - (b.queuedAt.getTime() - b.priority * 1000));
    for (const run of ready) {
      if (!this.#options.canStart(run)) {
        // The platform parks runs whose task the current worker lacks as PENDING_VERSION
        // (C:schemas/api.js RunStatus); they start once the task is registered.
        if (run.status === "QUEUED") {
          run.status = "PENDING_VERSION";
          this.#store.changed(run);
        }
        continue;
      }
      const slots = concurrencySlots(run, this.#environmentLimit);
      if (slots.some((slot) => (this.#inUse.get(slot.key) ?? 0) >= slot.limit)) continue;
      for (const slot of slots) this.#inUse.set(slot.key, (this.#inUse.get(slot.key) ?? 0) + 1);
      this.#held.set(run.id, slots);
      this.#ready.delete(run.id);
      this.#clearTimers(run.id);
      this.#options.start(run);
    }
  }

  /** How many runs execute in the pool a slot key names (for tests and diagnostics). */
  inUse(key: string): number {
    return this.#inUse.get(key) ?? 0;
  }

  close(): void {
    this.#closed = true;
    for (const runId of [...this.#timers.keys()]) this.#clearTimers(runId);
  }

  #enqueueDelayed(run: RunRecord): void {
    if (run.status !== "DELAYED") return;
    run.status = "QUEUED";
    run.queuedAt = new Date();
    this.#store.changed(run);
    this.#enqueue(run);
  }

  #enqueue(run: RunRecord): void {
    this.#armTtl(run);
    this.#ready.add(run.id);
    this.pump();
  }

  /**
   * "If a run is not dequeued within this time, it will expire and never execute"
   * (DOC:runs.mdx "Time-to-live (TTL)"); the clock starts when the run is queued, after any delay.
   */
  #armTtl(run: RunRecord): void {
    const ttlMs = resolveTtlMs(run.ttl);
    if (ttlMs === undefined || run.attempts.length > 0) return;
    this.#after(run.id, ttlMs * this.#options.delayTimeScale, () => {
      if (run.attempts.length > 0 || (run.status !== "QUEUED" && run.status !== "PENDING_VERSION")) return;
      run.status = "EXPIRED";
      run.expiredAt = new Date();
      run.finishedAt = run.expiredAt;
      this.#ready.delete(run.id);
      this.#store.changed(run);
    });
  }

  #after(runId: string, waitMs: number, fn: () => void): void {
    if (this.#closed) return;
    let timers = this.#timers.get(runId);
    if (!timers) {
      timers = new Set();
      this.#timers.set(runId, timers);
    }
    // setTimeout fires at once for waits past 2^31-1 ms (~24.8 days), so long waits hop.
    const hop = Math.min(Math.max(0, waitMs), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (waitMs > MAX_TIMER_MS) this.#after(runId, waitMs - MAX_TIMER_MS, fn);
      else fn();
    }, hop);
    // The HTTP server keeps the process alive while the emulator is open; timers needn't.
    timer.unref();
    timers.add(timer);
  }

  #clearTimers(runId: string): void {
    for (const timer of this.#timers.get(runId) ?? []) clearTimeout(timer);
    this.#timers.delete(runId);
  }
}
