// What a backend stores for each completed step of a job, under (job id, step id).

/** A `step.run` that returned: its JSON result. */
export interface RunStepRecord {
  type: "run";
  /** The step function's result, as JSON (absent for `undefined`). */
  result?: unknown;
}

/** A `step.sleep` / `step.sleepUntil`: when it ends (epoch milliseconds). */
export interface SleepStepRecord {
  type: "sleep";
  until: number;
}

/** A `step.invoke`: the child job's id, then its result once it completed. */
export interface InvokeStepRecord {
  type: "invoke";
  childId: string;
  /** When the child was enqueued (epoch milliseconds): how often the parent looks again grows with it. */
  since: number;
  /** Set once the child completed. */
  done?: boolean;
  result?: unknown;
}

export type StepRecord = RunStepRecord | SleepStepRecord | InvokeStepRecord;

/**
 * A job's step store, as an adapter gives it to core for one attempt. `save` must be durable before
 * it resolves: the handler goes on only after its step is stored.
 */
export interface StepStore {
  /** The steps this job completed in earlier attempts or runs, by step id. */
  readonly completed: ReadonlyMap<string, StepRecord>;
  save(stepId: string, record: StepRecord): Promise<void>;
  /**
   * When true, the attempt suspends (until now) right after each `step.run` is saved, once the steps
   * running beside it are saved too: for a backend whose store is the message that carries the job
   * on (QStash publishes a continuation with the steps at the suspension, as Upstash Workflow does),
   * so that `save` may only record in memory. Default false: the handler goes on in the same attempt.
   */
  readonly suspendsAfterEachRun?: boolean;
}
