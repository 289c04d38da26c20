import type { Duration } from "../duration.js";
import { toMilliseconds } from "../duration.js";
import { ChildJobFailedError } from "../errors/child-job-failed-error.js";
import { ConfigError } from "../errors/config-error.js";
import { NotSupportedError } from "../errors/not-supported-error.js";
import { UnstorableResultError } from "../errors/unstorable-result-error.js";
import type {
  AnyJobDefinition,
  EnqueueOptions,
  JobDefinition,
  JobSnapshot,
  JobSteps,
  PayloadInput,
  PayloadSchema,
} from "../interfaces.js";
import { describeValue, hasControlCharacter } from "../option-checks.js";
import { storedPayload } from "../validate-payload.js";
import type { NativeSteps } from "./native-steps.js";
import type { StepRecord, StepStore } from "./step-record.js";

/** What `step.invoke` needs from the client: enqueue a child job and read a job's state. */
export interface StepServices {
  /** The backend's name, for NotSupportedError. */
  readonly backend: string;
  /** Enqueues `job` as a child of `parent` (validated like any enqueue) under `key`; returns the child's id. */
  enqueueChild(
    job: AnyJobDefinition,
    payload: unknown,
    options: EnqueueOptions,
    key: string,
    parent: { id: string; stepId: string },
  ): Promise<string>;
  getJob(id: string): Promise<JobSnapshot | undefined>;
}

/** Step ids: 1-200 characters without control characters. */
const STEP_ID_MAX = 200;
/** How long a parent waits before it looks at its child again: half the time it has waited, within these bounds. */
const INVOKE_POLL_MIN_MS = 250;
const INVOKE_POLL_MAX_MS = 30_000;

/**
 * `ctx.step` for one attempt. Each completed step is stored (through the adapter's StepStore) before
 * the handler goes on; on a later attempt or run, a stored step returns its result without running.
 * A sleep or a wait for a child suspends the job: `suspend(until)` ends the attempt at once (the
 * handler's promise is left pending and never resumes), and the backend runs the job again, from the
 * top, when due. With `native` step tools (a platform that runs steps itself, see native-steps.ts)
 * each call is checked here, then handed to them. Without either (a backend without steps) every
 * step fails closed.
 */
export class AttemptSteps implements JobSteps {
  readonly #jobId: string;
  readonly #jobName: string;
  readonly #store?: StepStore;
  readonly #services?: StepServices;
  readonly #suspend: (until: number) => void;
  readonly #native?: NativeSteps;
  readonly #seen = new Set<string>();
  /** step.run calls still running: a suspension waits for them, so parallel steps are stored. */
  readonly #running = new Set<Promise<unknown>>();

  constructor(
    jobId: string,
    jobName: string,
    store: StepStore | undefined,
    services: StepServices | undefined,
    suspend: (until: number) => void,
    native?: NativeSteps,
  ) {
    this.#jobId = jobId;
    this.#jobName = jobName;
    this.#store = store;
    this.#services = services;
    this.#suspend = suspend;
    this.#native = native;
  }

  async run<T>(id: string, fn: () => T | Promise<T>): Promise<T> {
    const native = this.#native;
    if (native) {
      this.#check(id, "ctx.step.run()");
      if (typeof fn !== "function") throw new ConfigError(`ctx.step.run("${id}"): fn must be a function`);
      return (await native.run(id, async () => this.#storable(id, await fn()))) as T;
    }
    const store = this.#claim(id, "ctx.step.run()", "steps.run");
    if (typeof fn !== "function") throw new ConfigError(`ctx.step.run("${id}"): fn must be a function`);
    const done = this.#completed(store, id, "run");
    if (done) return done.result as T;
    const running = this.#runAndSave(store, id, fn);
    this.#running.add(running);
    let result: T;
    try {
      result = await running;
    } finally {
      this.#running.delete(running);
    }
    // The step is saved in memory only: the suspension is what makes it durable (see StepStore).
    if (store.suspendsAfterEachRun === true) return this.#wait(Date.now());
    return result;
  }

  async #runAndSave<T>(store: StepStore, id: string, fn: () => T | Promise<T>): Promise<T> {
    const value = await fn();
    const result = this.#storable(id, value);
    await store.save(id, result === undefined ? { type: "run" } : { type: "run", result });
    return result as T;
  }

  async sleep(id: string, duration: Duration): Promise<void> {
    const native = this.#native;
    if (native) {
      this.#check(id, "ctx.step.sleep()");
      const ms = toMilliseconds(duration, `ctx.step.sleep("${id}")`);
      return ms > 0 ? native.sleep(id, ms) : undefined;
    }
    const store = this.#claim(id, "ctx.step.sleep()", "steps.sleep");
    const done = this.#completed(store, id, "sleep");
    const until = done?.until ?? Date.now() + toMilliseconds(duration, `ctx.step.sleep("${id}")`);
    return this.#sleepUntil(store, id, until, done !== undefined);
  }

  async sleepUntil(id: string, until: Date): Promise<void> {
    const native = this.#native;
    const store = native
      ? this.#check(id, "ctx.step.sleepUntil()")
      : this.#claim(id, "ctx.step.sleepUntil()", "steps.sleep");
    if (!(until instanceof Date) || Number.isNaN(until.getTime())) {
      throw new ConfigError(
        `ctx.step.sleepUntil("${id}"): until must be a valid Date, got ${describeValue(until)}`,
      );
    }
    // A time already past goes on at once, as on every backend: the platform is not asked at all
    // (on a replay after the sleep, the platform's memoized sleep is then simply not looked up).
    if (native) return until.getTime() > Date.now() ? native.sleepUntil(id, until) : undefined;
    if (!store) throw new NotSupportedError("configured", "ctx.step.sleepUntil()");
    const done = this.#completed(store, id, "sleep");
    return this.#sleepUntil(store, id, done?.until ?? until.getTime(), done !== undefined);
  }

  async invoke<S extends PayloadSchema, R>(
    id: string,
    job: JobDefinition<S, R>,
    payload: PayloadInput<S>,
    options: Omit<EnqueueOptions, "idempotencyKey" | "idempotencyTtl"> = {},
  ): Promise<R> {
    const native = this.#native;
    const store = native
      ? this.#check(id, "ctx.step.invoke()")
      : this.#claim(id, "ctx.step.invoke()", "steps.invoke");
    if ((options as EnqueueOptions).idempotencyKey !== undefined) {
      throw new ConfigError(
        `ctx.step.invoke("${id}"): the child's idempotency key is the step's own (the child is enqueued once per step); leave idempotencyKey out`,
      );
    }
    if (native) {
      // Validated like any enqueue: the child gets the payload's JSON copy, which its schema accepts.
      const stored = await storedPayload(job.name, job.schema, payload);
      return (await native.invoke(id, job as AnyJobDefinition, stored, options)) as R;
    }
    const services = this.#services;
    if (!store || !services) throw new NotSupportedError("configured", "ctx.step.invoke()");
    let record = this.#completed(store, id, "invoke");
    if (record?.done) return record.result as R;
    if (!record) {
      // The key makes a replay after a crash between enqueue and save find the same child.
      const key = `step:${this.#jobId}:${id}`;
      const childId = await services.enqueueChild(job as AnyJobDefinition, payload, options, key, {
        id: this.#jobId,
        stepId: id,
      });
      record = { type: "invoke", childId, since: Date.now() };
      await store.save(id, record);
    }
    const child = await services.getJob(record.childId);
    if (child?.state === "completed") {
      const result = child.result;
      await store.save(id, { ...record, done: true, result });
      return result as R;
    }
    if (!child || child.state === "failed" || child.state === "cancelled") {
      throw new ChildJobFailedError(record.childId, job.name, child?.error, child?.state ?? "missing");
    }
    const waited = Date.now() - record.since;
    const wait = Math.min(INVOKE_POLL_MAX_MS, Math.max(INVOKE_POLL_MIN_MS, waited / 2));
    return this.#wait(Date.now() + wait);
  }

  async #sleepUntil(store: StepStore, id: string, until: number, stored: boolean): Promise<void> {
    if (!stored) await store.save(id, { type: "sleep", until });
    if (until <= Date.now()) return;
    return this.#wait(until);
  }

  /**
   * Suspends the job until `until`: the attempt ends once the steps still running beside this one
   * (`Promise.all` of steps) have settled and been stored, and this promise never settles.
   */
  #wait(until: number): Promise<never> {
    if (this.#running.size === 0) this.#suspend(until);
    else void Promise.allSettled([...this.#running]).then(() => this.#suspend(until));
    return new Promise<never>(() => {});
  }

  #claim(id: unknown, what: string, feature: string): StepStore {
    this.#check(id, what);
    if (!this.#store)
      throw new NotSupportedError(this.#services?.backend ?? "configured", `${what} (${feature})`);
    return this.#store;
  }

  /** Checks a step id: valid, and not used before in this run of the handler. */
  #check(id: unknown, what: string): undefined {
    if (typeof id !== "string" || id.length === 0 || id.length > STEP_ID_MAX || hasControlCharacter(id)) {
      throw new ConfigError(
        `${what}: a step id must be a string of 1-${STEP_ID_MAX} characters without control characters, got ${describeValue(id)}`,
      );
    }
    if (this.#seen.has(id)) {
      throw new ConfigError(
        `${what}: step id "${id}" is used twice in one run of job "${this.#jobName}"; step ids must be unique (a loop can add its index: \`send-\${i}\`)`,
      );
    }
    this.#seen.add(id);
    return undefined;
  }

  #completed<T extends StepRecord["type"]>(
    store: StepStore,
    id: string,
    type: T,
  ): Extract<StepRecord, { type: T }> | undefined {
    const record = store.completed.get(id);
    if (record === undefined) return undefined;
    if (record.type !== type) {
      throw new ConfigError(
        `step "${id}" of job "${this.#jobName}" was stored as a ${record.type} step and is now used as a ${type} step; keep step ids stable across deploys`,
      );
    }
    return record as Extract<StepRecord, { type: T }>;
  }

  #storable(id: string, value: unknown): unknown {
    if (value === undefined) return undefined;
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new UnstorableResultError(
        `step "${id}" of job "${this.#jobName}" returned a value that cannot be stored as JSON: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return text === undefined ? undefined : JSON.parse(text);
  }
}
