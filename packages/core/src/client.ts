import type { AttemptOutcome } from "./attempt-outcome.js";
import type { Backend, JobRuntime } from "./backend.js";
import { type Capabilities, requireFeature } from "./capabilities.js";
import { checkJobSupport, checkScheduleSupport } from "./check-job-support.js";
import { resolveSchedule } from "./define-job.js";
import { ConfigError } from "./errors/config-error.js";
import { NotSupportedError } from "./errors/not-supported-error.js";
import { ValidationError } from "./errors/validation-error.js";
import type {
  AnyJobDefinition,
  EnqueueOptions,
  EnqueueResult,
  JobDefinition,
  JobLogger,
  JobSnapshot,
  ListFailedOptions,
  PayloadInput,
  PayloadSchema,
  ScheduleEntry,
  ScheduleSpec,
  Worker,
  WorkerOptions,
} from "./interfaces.js";
import { consoleLogger } from "./logger.js";
import { memory } from "./memory/memory-backend.js";
import { resolveEnqueue } from "./resolve-enqueue.js";
import { type AttemptInput, runAttempt } from "./run-attempt.js";
import { validatePayload } from "./validate-payload.js";

export interface SwitchyardOptions {
  /** Where jobs are stored and run. Default: `memory()` (in this process, nothing persisted). */
  backend?: Backend;
  /** Every job this client may enqueue or run. */
  jobs: ReadonlyArray<AnyJobDefinition>;
  /** Handlers' `ctx.log` and the runtime's own messages. Default: the console. */
  logger?: JobLogger;
}

export interface Switchyard {
  readonly backend: Backend;
  readonly capabilities: Capabilities;
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
  /** Releases connections. Stop workers first. */
  close(): Promise<void>;
}

/** Creates the client: checks every job against the backend's capabilities, then attaches the backend. */
export function createSwitchyard(options: SwitchyardOptions): Switchyard {
  const backend = options.backend ?? memory();
  const logger = options.logger ?? consoleLogger;
  const capabilities = backend.capabilities;
  const jobs = new Map<string, JobDefinition>();
  for (const job of options.jobs) {
    if (jobs.has(job.name))
      throw new ConfigError(`two jobs are named "${job.name}"; job names must be unique`);
    checkJobSupport(capabilities, job);
    jobs.set(job.name, job);
  }

  const runtime: JobRuntime = {
    jobs,
    logger,
    runAttempt(jobName: string, input: AttemptInput): Promise<AttemptOutcome> {
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
      return runAttempt(job, input, logger);
    },
  };
  backend.attach(runtime);

  function registered(job: { name: string }): JobDefinition {
    const known = jobs.get(job?.name);
    if (!known) {
      throw new ConfigError(
        `job "${job?.name}" is not registered: pass it in createSwitchyard({ jobs: [...] })`,
      );
    }
    return known;
  }

  async function upsert(entry: ScheduleEntry, declared: boolean): Promise<void> {
    const job = registered({ name: entry.job });
    checkScheduleSupport(capabilities, entry);
    await validatePayload(job.name, job.schema, entry.payload);
    await backend.upsertSchedule(entry, { declared });
  }

  async function syncDeclaredSchedules(): Promise<void> {
    for (const job of jobs.values()) for (const entry of job.schedules) await upsert(entry, true);
  }

  return {
    backend,
    capabilities,

    async enqueue(job, payload, enqueueOptions = {}) {
      const known = registered(job);
      await validatePayload(known.name, known.schema, payload);
      const request = resolveEnqueue(capabilities, known, payload, enqueueOptions, Date.now());
      const [result] = await backend.enqueue([request]);
      return result!;
    },

    async enqueueMany(job, payloads, enqueueOptions = {}) {
      const known = registered(job);
      requireFeature(capabilities, "enqueue.bulk", "enqueueMany");
      const requests = [];
      const now = Date.now();
      for (const [index, payload] of payloads.entries()) {
        try {
          await validatePayload(known.name, known.schema, payload);
        } catch (error) {
          if (error instanceof ValidationError) {
            throw new ValidationError(
              known.name,
              error.issues.map((issue) => ({ ...issue, path: [index, ...issue.path] })),
            );
          }
          throw error;
        }
        requests.push(resolveEnqueue(capabilities, known, payload, enqueueOptions, now));
      }
      if (requests.length === 0) return [];
      return backend.enqueue(requests);
    },

    async get(id) {
      requireFeature(capabilities, "jobs.get", "get(id)");
      return backend.get(id);
    },
    async cancel(id) {
      requireFeature(capabilities, "jobs.cancel", "cancel(id)");
      return backend.cancel(id);
    },
    async retry(id) {
      requireFeature(capabilities, "jobs.retry", "retry(id)");
      return backend.retry(id);
    },
    async listFailed(listOptions = {}) {
      requireFeature(capabilities, "jobs.listFailed", "listFailed()");
      return backend.listFailed({ job: listOptions.job, limit: listOptions.limit ?? 100 });
    },

    schedules: {
      async upsert(job, spec) {
        requireFeature(capabilities, "schedule.imperative", "schedules.upsert");
        const entry = resolveSchedule(registered(job).name, spec, job.name);
        await upsert(entry, false);
        return entry;
      },
      async remove(id) {
        requireFeature(capabilities, "schedule.imperative", "schedules.remove");
        return backend.removeSchedule(id);
      },
      async list() {
        return backend.listSchedules();
      },
      sync: syncDeclaredSchedules,
    },

    work(workerOptions = {}) {
      if (!backend.work) {
        throw new NotSupportedError(
          capabilities.backend,
          "work()",
          `it runs jobs through ${capabilities.execution === "http" ? "jobs.handler() over HTTP" : "its own workers"}`,
        );
      }
      const concurrency = workerOptions.concurrency ?? 10;
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        throw new ConfigError(`work(): concurrency must be a positive integer, got ${concurrency}`);
      }
      const worker = backend.work({ concurrency });
      const ready = Promise.all([syncDeclaredSchedules(), worker.ready]).then(() => undefined);
      ready.catch(() => {}); // surfaced through `ready`; avoid an unhandled rejection when nobody awaits it
      return { ready, stop: (stopOptions) => worker.stop(stopOptions) };
    },

    handler() {
      if (!backend.handler) {
        throw new NotSupportedError(
          capabilities.backend,
          "handler()",
          "it is a pull backend: start jobs.work() instead",
        );
      }
      return backend.handler();
    },

    close: () => backend.close(),
  };
}
