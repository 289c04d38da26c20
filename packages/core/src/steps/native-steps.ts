// Durable steps that a platform runs itself. Inngest's SDK memoizes steps, schedules sleeps and runs
// child functions on its own server: an adapter for such a platform hands core its step tools for
// one attempt instead of a StepStore, and core's AttemptSteps delegates to them after its own checks
// (valid and unique ids, JSON results, payload validation, the idempotencyKey refusal), so the
// handler sees the same contract on every backend.
import type { AnyJobDefinition, EnqueueOptions } from "../interfaces.js";

/**
 * One attempt's step tools on a platform with native steps. Core has checked the arguments before
 * each call; the platform memoizes, schedules and replays.
 */
export interface NativeSteps {
  /**
   * Runs `fn` once as the platform's step `id` and returns its result on every later run. `fn`
   * already returns the JSON copy of the user's result (or throws the user's error: the adapter
   * maps it onto the platform's retry, with the job's policy).
   */
  run(id: string, fn: () => Promise<unknown>): Promise<unknown>;
  /** Sleeps `durationMs` (> 0), memoized by the platform. */
  sleep(id: string, durationMs: number): Promise<void>;
  /** Sleeps until `until` (in the future when first called; core skips a time already past). */
  sleepUntil(id: string, until: Date): Promise<void>;
  /**
   * Runs `job` as a child with `payload` (validated and JSON-copied by core) and returns its result;
   * a child that fails for good rejects with ChildJobFailedError.
   */
  invoke(
    id: string,
    job: AnyJobDefinition,
    payload: unknown,
    options: Omit<EnqueueOptions, "idempotencyKey" | "idempotencyTtl">,
  ): Promise<unknown>;
}

/**
 * What an adapter passes as `AttemptInput.nativeSteps`: called once per attempt with `interrupt`.
 * The adapter calls `interrupt()` when the platform has ended the attempt's request while the
 * handler still waits on a step (Inngest's SDK answers with the step's op and abandons the
 * handler): the attempt then ends `suspended` at once, so its timeout timer and abort listeners are
 * released and no lifecycle event reports it as failed; the platform runs the handler again from
 * the top when the step is done.
 */
export type NativeStepsFactory = (interrupt: () => void) => NativeSteps;
