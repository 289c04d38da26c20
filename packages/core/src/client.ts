import { AttemptActivity } from "./attempt-activity.js";
import type { StepAttemptOutcome } from "./attempt-outcome.js";
import type { Backend, EnqueueRequest, JobRuntime } from "./backend.js";
import { type Capabilities, requireFeature, supports } from "./capabilities.js";
import { checkJobSupport, checkScheduleSupport } from "./check-job-support.js";
import { resolveSchedule } from "./define-job.js";
import { ClientClosedError } from "./errors/client-closed-error.js";
import { ConfigError } from "./errors/config-error.js";
import { NotSupportedError } from "./errors/not-supported-error.js";
import { ValidationError } from "./errors/validation-error.js";
import type { JobEventListener, JobEventType } from "./events/job-event.js";
import { JobEvents } from "./events/job-events.js";
import type {
  AnyJobDefinition,
  CountOptions,
  EnqueueOptions,
  EnqueueResult,
  JobCounts,
  JobDefinition,
  JobLogger,
  JobPage,
  JobSnapshot,
  ListFailedOptions,
  ListOptions,
  PayloadInput,
  PayloadSchema,
  RetryFailedOptions,
  RetryFailedResult,
  ScheduleEntry,
  ScheduleSpec,
  Worker,
  WorkerOptions,
} from "./interfaces.js";
import { countJobs, listJobs, retryFailedJobs } from "./job-listing.js";
import { consoleLogger, type PinoLikeLogger, toJobLogger } from "./logger.js";
import { memory } from "./memory/memory-backend.js";
import { checkJobArgument, checkOptions, describeValue } from "./option-checks.js";
import { ENQUEUE_OPTION_KEYS, resolveEnqueue } from "./resolve-enqueue.js";
import { type AttemptInput, runAttempt, unsupportedProgress } from "./run-attempt.js";
import { startWorker } from "./start-worker.js";
import type { StepServices } from "./steps/job-steps.js";
import type { Telemetry } from "./telemetry/telemetry.js";
import { storedPayload } from "./validate-payload.js";

export interface SwitchyardOptions {
  /** Where jobs are stored and run. Default: `memory()` (in this process, nothing persisted). */
  backend?: Backend;
  /** Every job this client may enqueue or run. */
  jobs: ReadonlyArray<AnyJobDefinition>;
  /**
   * Handlers' `ctx.log` (each line with the job's id, name and attempt) and the runtime's own
   * messages. Any `{ info, warn, error }(message, fields)` logger, or a pino logger as it is.
   * Default: the console.
   */
  logger?: JobLogger | PinoLikeLogger;
  /**
   * Traces and metrics of enqueues and attempts: `openTelemetry()` from `@switchyard/core/otel`.
   * Default: none (no tracing library is loaded).
   */
  telemetry?: Telemetry;
}

export interface Switchyard {
  readonly backend: Backend;
  readonly capabilities: Capabilities;
  /** The names of the jobs registered with this client, in the order given (what a dashboard counts one by one). */
  readonly jobNames: ReadonlyArray<string>;
  /** Validates the payload (ValidationError, nothing enqueued) and enqueues one job. */
  enqueue<S extends PayloadSchema>(
    job: JobDefinition<S, unknown>,
    payload: PayloadInput<S>,
    options?: EnqueueOptions,
  ): Promise<EnqueueResult>;
  /** Validates every payload first; one bad payload rejects the whole batch and nothing is enqueued. */
  enqueueMany<S extends PayloadSchema>(
    job: JobDefinition<S, unknown>,
    payloads: ReadonlyArray<PayloadInput<S>>,
    options?: Omit<EnqueueOptions, "idempotencyKey">,
  ): Promise<EnqueueResult[]>;
  get(id: string): Promise<JobSnapshot | undefined>;
  /** True when the job was waiting, delayed or running and is now cancelled. */
  cancel(id: string): Promise<boolean>;
  /** Runs a failed job again with a fresh attempt count. True when it was failed. */
  retry(id: string): Promise<boolean>;
  listFailed(options?: ListFailedOptions): Promise<JobSnapshot[]>;
  /** Jobs per state (queue depth), for the states the backend can count (`capabilities.jobStates`). */
  counts(options?: CountOptions): Promise<JobCounts>;
  /** One page of jobs in a state, newest first; pass the page's `cursor` back for the next one. */
  list(options: ListOptions): Promise<JobPage>;
  /** Runs failed jobs again (dead letters, in bulk), each with a fresh attempt count. */
  retryFailed(options?: RetryFailedOptions): Promise<RetryFailedResult>;
  readonly schedules: {
    /** Creates or replaces a schedule (by id; default id: the job name). */
    upsert<S extends PayloadSchema>(
      job: JobDefinition<S, unknown>,
      spec: ScheduleSpec<PayloadInput<S>>,
    ): Promise<ScheduleEntry>;
    remove(id: string): Promise<boolean>;
    list(): Promise<ScheduleEntry[]>;
    /** Stores the schedules declared in `defineJob`. `work()` does it for you; push backends call it at deploy. */
    sync(): Promise<void>;
  };
  /** Pull and embedded backends: starts a worker in this process, after syncing declared schedules. */
  work(options?: WorkerOptions): Worker;
  /** Push backends: the route the platform calls, as a Web `Request => Response` function. */
  handler(): (request: Request) => Promise<Response>;
  /**
   * Listens to job lifecycle events (`"enqueued"`, `"started"`, `"completed"`, `"retrying"`,
   * `"failed"`, `"cancelled"`, `"deduplicated"`, `"suspended"`, or `"*"` for all) seen by this client:
   * enqueues it makes, attempts it runs. A listener that throws is logged, never thrown into a job.
   * Returns a function that removes the listener.
   */
  on<T extends JobEventType | "*">(type: T, listener: JobEventListener<T>): () => void;
  /** Releases connections. Stop workers first. */
  close(): Promise<void>;
}

const CLIENT_OPTION_KEYS = ["backend", "jobs", "logger", "telemetry"];
/** A backend serves one client: its runtime (the jobs it runs) is that client's. */
const attachedBackends = new WeakSet<Backend>();
const WORKER_OPTION_KEYS = ["concurrency"];

/** Creates the client: checks every job against the backend's capabilities, then attaches the backend. */
export function createSwitchyard(options: SwitchyardOptions): Switchyard {
  checkOptions(options, "createSwitchyard()", CLIENT_OPTION_KEYS);
  if (!Array.isArray(options?.jobs)) {
    throw new ConfigError(
      `createSwitchyard(): jobs must be an array of jobs made by defineJob(), got ${describeValue(options?.jobs)}`,
    );
  }
  const backend = options.backend ?? memory();
  const logger = toJobLogger(options.logger ?? consoleLogger);
  const events = new JobEvents(logger);
  const telemetry = checkTelemetry(options.telemetry);
  const capabilities = backend.capabilities;
  const jobs = new Map<string, JobDefinition>();
  for (const [index, job] of options.jobs.entries()) {
    checkJobArgument(job as unknown, `createSwitchyard(): jobs[${index}]`);
    if (jobs.has(job.name))
      throw new ConfigError(`two jobs are named "${job.name}"; job names must be unique`);
    checkJobSupport(capabilities, job);
    jobs.set(job.name, job);
  }
  // Where the backend keeps no progress, ctx.progress() fails the job instead of doing nothing.
  const progressFallback = supports(capabilities, "progress")
    ? undefined
    : unsupportedProgress(capabilities.backend);

  // What ctx.step.invoke needs: enqueue a child (validated like any enqueue) and read a job.
  const stepServices: StepServices = {
    backend: capabilities.backend,
    async enqueueChild(job, payload, enqueueOptions, key, parent) {
      const known = registered(job, "ctx.step.invoke()");
      const checked = checkOptions(enqueueOptions, `ctx.step.invoke of "${known.name}"`, ENQUEUE_OPTION_KEYS);
      const stored = await storedPayload(known.name, known.schema, payload);
      const request = resolveEnqueue(
        capabilities,
        known,
        stored,
        { ...checked, idempotencyKey: key },
        Date.now(),
      );
      request.parent = parent;
      const results = await send(known, [request]);
      enqueueEvents(known, [request], results);
      return results[0]!.id;
    },
    getJob: (id) => backend.get(id),
  };

  const activity = new AttemptActivity();
  function runJobAttempt(jobName: string, input: AttemptInput): Promise<StepAttemptOutcome> {
    const ended = activity.started();
    return runRegisteredAttempt(jobName, input).then(
      (outcome) => {
        ended();
        return outcome;
      },
      (error: unknown) => {
        ended(); // runAttempt never throws, but a telemetry hook might: the count must not drift
        throw error;
      },
    );
  }

  function runRegisteredAttempt(jobName: string, input: AttemptInput): Promise<StepAttemptOutcome> {
    const job = jobs.get(jobName);
    if (!job) {
      const error = new ConfigError(`no job named "${jobName}" is registered with this worker`);
      return Promise.resolve({
        type: "failed",
        permanent: true,
        error: { message: error.message, code: error.code },
        cause: error,
      });
    }
    if (progressFallback && !input.progress) input = { ...input, progress: progressFallback };
    if (telemetry) return telemetry.attempt(job, input, () => runWithEvents(job, input));
    return runWithEvents(job, input);
  }

  function runWithEvents(job: JobDefinition, input: AttemptInput): Promise<StepAttemptOutcome> {
    if (!events.listened) return runAttempt(job, input, logger, stepServices);
    return runObserved(job, input);
  }

  /** Hands requests to the backend, through telemetry when the client has it. */
  function send(job: JobDefinition, requests: EnqueueRequest[]): Promise<EnqueueResult[]> {
    if (!telemetry) return backend.enqueue(requests);
    return telemetry.enqueue(job, requests, () => backend.enqueue(requests));
  }

  /** runAttempt with lifecycle events around it (only when someone listens). */
  async function runObserved(job: JobDefinition, input: AttemptInput): Promise<StepAttemptOutcome> {
    const base = { id: input.id, name: job.name, attempt: input.attempt };
    events.emit({ type: "started", ...base, at: new Date() });
    const started = performance.now();
    const outcome = await runAttempt(job, input, logger, stepServices);
    const ended = { ...base, at: new Date(), durationMs: Math.round(performance.now() - started) };
    switch (outcome.type) {
      case "completed":
        events.emit({ type: "completed", ...ended });
        break;
      case "retry":
        events.emit({ type: "retrying", ...ended, error: outcome.error, delayMs: outcome.delayMs });
        break;
      case "failed":
        events.emit({ type: "failed", ...ended, error: outcome.error, permanent: outcome.permanent });
        break;
      case "cancelled":
        events.emit({ type: "cancelled", ...ended });
        break;
      case "suspended":
        events.emit({ type: "suspended", ...ended, until: outcome.until });
        break;
    }
    return outcome;
  }

  /** Events for what an enqueue did. */
  function enqueueEvents(
    job: JobDefinition,
    requests: ReadonlyArray<EnqueueRequest>,
    results: ReadonlyArray<EnqueueResult>,
  ): void {
    if (!events.listened) return;
    const at = new Date();
    for (const [index, result] of results.entries()) {
      const request = requests[index]!;
      if (result.deduplicated) {
        const idempotencyKey = request.idempotencyKey ?? "";
        events.emit({ type: "deduplicated", id: result.id, name: job.name, at, idempotencyKey });
      } else {
        events.emit({ type: "enqueued", id: result.id, name: job.name, at, runAt: request.runAt });
      }
    }
  }
  const runtime: JobRuntime = {
    jobs,
    logger,
    // One implementation of both overloads: `suspended` only comes with a step store.
    runAttempt: runJobAttempt as JobRuntime["runAttempt"],
  };
  // The manifest states the execution model once; the backend must offer its entry point.
  const pull = capabilities.execution === "embedded" || capabilities.execution === "worker";
  if ((pull && !backend.work) || (capabilities.execution === "http" && !backend.handler)) {
    throw new ConfigError(
      `the ${capabilities.backend} backend declares execution "${capabilities.execution}" but has no ${pull ? "work()" : "handler()"}`,
    );
  }
  if (attachedBackends.has(backend)) {
    throw new ConfigError(
      `this ${capabilities.backend} backend already serves a client: create one backend per createSwitchyard()`,
    );
  }
  telemetry?.attach({ backend, jobs, logger });
  backend.attach(runtime);
  attachedBackends.add(backend);

  let closing: Promise<void> | undefined;
  /** Every operation after close() fails the same way, on every backend. */
  function assertOpen(operation: string): void {
    if (closing) throw new ClientClosedError(`${operation}: this Switchyard client is closed`);
  }

  function registered(job: unknown, where: string): JobDefinition {
    checkJobArgument(job, where);
    const known = jobs.get(job.name);
    if (!known) {
      throw new ConfigError(
        `${where}: job "${job.name}" is not registered: pass it in createSwitchyard({ jobs: [...] })`,
      );
    }
    return known;
  }

  async function upsert(entry: ScheduleEntry, declared: boolean): Promise<void> {
    const job = registered({ name: entry.job }, "schedules");
    checkScheduleSupport(capabilities, entry);
    await storedPayload(job.name, job.schema, entry.payload);
    await backend.upsertSchedule(entry, { declared });
  }

  /** Checks every declared schedule's payload (async schemas are not checked by defineJob). */
  async function checkDeclaredSchedules(): Promise<void> {
    for (const job of jobs.values())
      for (const entry of job.schedules) await storedPayload(job.name, job.schema, entry.payload);
  }

  /**
   * Stores the declared schedules, then removes the declared ones of this client's jobs that no job
   * declares any more (a schedule deleted from the code). Imperative schedules, and schedules of jobs
   * this client does not know, are left alone.
   */
  async function syncDeclaredSchedules(): Promise<void> {
    assertOpen("schedules.sync()");
    await checkDeclaredSchedules();
    const declaredIds = new Set<string>();
    for (const job of jobs.values()) {
      for (const entry of job.schedules) {
        declaredIds.add(entry.id);
        await upsert(entry, true);
      }
    }
    if (!supports(capabilities, "schedule.imperative")) return; // the platform owns its declared schedules
    for (const stored of await backend.listSchedules()) {
      if (stored.declared === true && jobs.has(stored.job) && !declaredIds.has(stored.id)) {
        await backend.removeSchedule(stored.id);
      }
    }
  }

  return {
    backend,
    capabilities,
    jobNames: Object.freeze([...jobs.keys()]),

    async enqueue(job, payload, enqueueOptions) {
      assertOpen("enqueue()");
      const known = registered(job, "enqueue()");
      const checked = checkOptions(enqueueOptions, `enqueue of "${known.name}"`, ENQUEUE_OPTION_KEYS);
      const stored = await storedPayload(known.name, known.schema, payload);
      const request = resolveEnqueue(capabilities, known, stored, checked, Date.now());
      const results = await send(known, [request]);
      enqueueEvents(known, [request], results);
      return results[0]!;
    },

    async enqueueMany(job, payloads, enqueueOptions) {
      assertOpen("enqueueMany()");
      const known = registered(job, "enqueueMany()");
      const where = `enqueueMany of "${known.name}"`;
      const checked = checkOptions(enqueueOptions, where, ENQUEUE_OPTION_KEYS);
      if ("idempotencyKey" in checked) {
        throw new ConfigError(
          `${where}: one idempotencyKey for a batch would make every job but the first a duplicate; give the job an idempotencyKey(payload) function, or enqueue one by one`,
        );
      }
      if (!Array.isArray(payloads)) {
        throw new ConfigError(`${where}: payloads must be an array, got ${describeValue(payloads)}`);
      }
      requireFeature(capabilities, "enqueue.bulk", "enqueueMany");
      const requests = [];
      const now = Date.now();
      // Every payload is checked before anything is sent: a batch is all or nothing.
      for (const [index, payload] of payloads.entries()) {
        let stored: unknown;
        try {
          stored = storedPayload(known.name, known.schema, payload);
          if (stored instanceof Promise) stored = await stored;
        } catch (error) {
          if (error instanceof ValidationError) {
            throw new ValidationError(
              known.name,
              error.issues.map((issue) => ({ ...issue, path: [index, ...issue.path] })),
            );
          }
          throw error;
        }
        requests.push(resolveEnqueue(capabilities, known, stored, checked, now));
      }
      if (requests.length === 0) return [];
      const results = await send(known, requests);
      enqueueEvents(known, requests, results);
      return results;
    },

    async get(id) {
      assertOpen("get()");
      checkId(id, "get(id)");
      requireFeature(capabilities, "jobs.get", "get(id)");
      return backend.get(id);
    },
    async cancel(id) {
      assertOpen("cancel()");
      checkId(id, "cancel(id)");
      requireFeature(capabilities, "jobs.cancel", "cancel(id)");
      return backend.cancel(id);
    },
    async retry(id) {
      assertOpen("retry()");
      checkId(id, "retry(id)");
      requireFeature(capabilities, "jobs.retry", "retry(id)");
      return backend.retry(id);
    },
    async listFailed(listOptions) {
      assertOpen("listFailed()");
      const checked = checkOptions(listOptions, "listFailed()", ["job", "limit"]);
      if (checked.job !== undefined && typeof checked.job !== "string") {
        throw new ConfigError(`listFailed(): job must be a job name, got ${describeValue(checked.job)}`);
      }
      const limit = checked.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1) {
        throw new ConfigError(`listFailed(): limit must be a positive integer, got ${describeValue(limit)}`);
      }
      requireFeature(capabilities, "jobs.listFailed", "listFailed()");
      return backend.listFailed({ job: checked.job, limit });
    },

    async counts(countOptions) {
      assertOpen("counts()");
      return countJobs(backend, countOptions);
    },
    async list(listOptions) {
      assertOpen("list()");
      return listJobs(backend, listOptions);
    },
    async retryFailed(retryOptions) {
      assertOpen("retryFailed()");
      return retryFailedJobs(backend, retryOptions);
    },

    schedules: {
      async upsert(job, spec) {
        assertOpen("schedules.upsert()");
        requireFeature(capabilities, "schedule.imperative", "schedules.upsert");
        const known = registered(job, "schedules.upsert()");
        const entry = resolveSchedule(known.name, spec, known.name);
        await upsert(entry, false);
        return entry;
      },
      async remove(id) {
        assertOpen("schedules.remove()");
        checkId(id, "schedules.remove(id)");
        requireFeature(capabilities, "schedule.imperative", "schedules.remove");
        return backend.removeSchedule(id);
      },
      async list() {
        assertOpen("schedules.list()");
        return backend.listSchedules();
      },
      sync: syncDeclaredSchedules,
    },

    work(workerOptions) {
      assertOpen("work()");
      const checked = checkOptions(workerOptions, "work()", WORKER_OPTION_KEYS);
      if (!pull || !backend.work) {
        throw new NotSupportedError(
          capabilities.backend,
          "work()",
          `it runs jobs through ${capabilities.execution === "http" ? "jobs.handler() over HTTP" : "its own workers"}`,
        );
      }
      const concurrency = checked.concurrency ?? 10;
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        throw new ConfigError(
          `work(): concurrency must be a positive integer, got ${describeValue(concurrency)}`,
        );
      }
      return startWorker(
        backend.work.bind(backend),
        { concurrency },
        syncDeclaredSchedules,
        logger,
        activity,
      );
    },

    handler() {
      assertOpen("handler()");
      if (capabilities.execution !== "http" || !backend.handler) {
        throw new NotSupportedError(
          capabilities.backend,
          "handler()",
          "it is a pull backend: start jobs.work() instead",
        );
      }
      return backend.handler();
    },

    on(type, listener) {
      return events.on(type, listener);
    },

    close() {
      if (!closing) telemetry?.close();
      closing ??= backend.close();
      return closing;
    },
  };
}

/** A telemetry option must be one (a plain object of the wrong shape would fail later, mid-enqueue). */
function checkTelemetry(telemetry: unknown): Telemetry | undefined {
  if (telemetry === undefined) return undefined;
  const hooks = telemetry as Partial<Record<keyof Telemetry, unknown>> | null;
  const methods = ["attach", "enqueue", "attempt", "close"] as const;
  if (
    typeof hooks !== "object" ||
    hooks === null ||
    methods.some((name) => typeof hooks[name] !== "function")
  ) {
    throw new ConfigError(
      `createSwitchyard(): telemetry must be made by openTelemetry() from "@switchyard/core/otel", got ${describeValue(telemetry)}`,
    );
  }
  return telemetry as Telemetry;
}

function checkId(id: unknown, where: string): void {
  if (typeof id !== "string" || id.length === 0) {
    throw new ConfigError(`${where}: id must be a non-empty string, got ${describeValue(id)}`);
  }
}
