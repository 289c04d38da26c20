import {
  type AnyJobDefinition,
  type Backend,
  BackendUnavailableError,
  ClientClosedError,
  ConfigError,
  type EnqueueResult,
  type JobCounts,
  type JobPage,
  type JobSnapshot,
  type JobState,
  type ScheduleEntry,
  type Switchyard,
} from "@switchyard/core";
import type { EnqueueRequest, JobRuntime } from "@switchyard/core/adapter";
import { apiClientManager } from "@trigger.dev/core/v3";
import { type AnyRetrieveRunResult, TriggerClient } from "@trigger.dev/sdk";
import { batchItemTag, waitForBatchRuns } from "./batch-runs.js";
import { JobListing, type ListedRun } from "./job-listing.js";
import { FAILED_STATUSES, isFailed, isFinished, toJobSnapshot } from "./job-snapshot.js";
import { jobIdOf } from "./job-tags.js";
import { type ResolvedTriggerOptions, resolveTriggerOptions } from "./resolve-trigger-options.js";
import { MAX_TRIGGER_ATTEMPTS } from "./retry-options.js";
import { RunHistory } from "./run-history.js";
import { runOptions } from "./run-options.js";
import {
  declaredScheduleTaskId,
  decodeScheduleTarget,
  encodeScheduleTarget,
  SCHEDULE_KEY_PREFIX,
} from "./schedule-tasks.js";
import { TriggerApiError } from "./trigger-api-error.js";
import { triggerCapabilities } from "./trigger-capabilities.js";
import type { TriggerBackendOptions } from "./trigger-options.js";
import { type TriggerWrite, triggerFailure, writeToTrigger } from "./trigger-request.js";
import { buildTriggerTasks, type TriggerTasks } from "./trigger-tasks.js";

const BRAND = Symbol.for("switchyard.adapter-trigger.backend");
/** Each try of a write made by the adapter is one request: the SDK does not retry it as well. */
const ONE_TRY = { retry: { maxAttempts: 1 } };
/** Runs per `batchTrigger` call (Trigger.dev takes 500, and 1,000 on newer plans). */
const BATCH_SIZE = 500;
/** `runs.retrieve` calls in flight at once while listing failed jobs. */
const RETRIEVE_CONCURRENCY = 8;

/**
 * A Switchyard backend on Trigger.dev v4: jobs are tasks (see `toTriggerTasks`) that Trigger.dev
 * runs on its own machines; this client triggers and inspects their runs through the SDK's
 * `TriggerClient` (its own credentials, so several backends can live in one process).
 */
export function trigger(options: TriggerBackendOptions = {}): Backend {
  return new TriggerBackend(options);
}

/** The Trigger.dev backend of a client, or a ConfigError saying how to get one. */
export function triggerBackendOf(client: Switchyard): TriggerBackend {
  const backend = client?.backend as Partial<TriggerBackend> | undefined;
  if (backend?.[BRAND] !== true) {
    throw new ConfigError(
      `toTriggerTasks needs a Switchyard client whose backend is trigger() (SWITCHYARD_BACKEND=trigger), got "${client?.capabilities?.backend ?? typeof client}"`,
    );
  }
  return backend as TriggerBackend;
}

export class TriggerBackend implements Backend {
  readonly capabilities = triggerCapabilities;
  readonly [BRAND] = true;
  /** The id of the scheduled task behind `jobs.schedules.upsert`. */
  readonly scheduleTaskId: string;
  readonly #options: ResolvedTriggerOptions;
  /** Where errors say the calls went. */
  readonly #target: string;
  /** Aborted by close(): ends the batch waits in flight. */
  readonly #closing = new AbortController();
  #client?: TriggerClient;
  #runtime?: JobRuntime;
  #tasks?: TriggerTasks;
  readonly #history = new RunHistory({
    retrieve: (runId) => this.#retrieve(runId),
    newestTagged: async (tag, taskIdentifier) => {
      const runs = this.#api.runs;
      const page = await this.#read("runs.list", () => runs.list({ tag, taskIdentifier, limit: 1 }));
      return page.data[0]?.id;
    },
    addTags: (runId, tags) => this.#addTags(runId, tags),
    replay: async (runId) => {
      const runs = this.#api.runs;
      // A second replay would be a second run: not tried again once one may have arrived.
      const replay = await this.#write({ operation: "runs.replay", effect: "once" }, () =>
        runs.replay(runId, undefined, ONE_TRY),
      );
      return replay.id;
    },
  });

  readonly #listing = new JobListing({
    runs: async ({ taskIdentifier, status, limit, after }) => {
      const runs = this.#api.runs;
      const query = {
        taskIdentifier,
        ...(status ? { status: [...status] } : {}),
        limit,
        ...(after ? { after } : {}),
      };
      const page = await this.#read("runs.list", () => runs.list(query));
      return { runs: page.data, ...(page.pagination.next ? { next: page.pagination.next } : {}) };
    },
    snapshot: (run) => this.#listedSnapshot(run),
  });

  constructor(options: TriggerBackendOptions = {}) {
    this.#options = resolveTriggerOptions(options);
    this.scheduleTaskId = this.#options.scheduleTaskId;
    this.#target =
      this.#options.baseURL === undefined ? "Trigger.dev" : `Trigger.dev at ${this.#options.baseURL}`;
  }

  attach(runtime: JobRuntime): void {
    const taskIds = new Map<string, string>([[this.scheduleTaskId, "the schedule task (scheduleTaskId)"]]);
    const claim = (id: string, what: string) => {
      const holder = taskIds.get(id);
      if (holder) throw new ConfigError(`Trigger.dev task id "${id}" is used by ${holder} and by ${what}`);
      taskIds.set(id, what);
    };
    for (const job of runtime.jobs.values()) {
      if (job.retry.maxAttempts > MAX_TRIGGER_ATTEMPTS) {
        throw new ConfigError(
          `job "${job.name}": retry.maxAttempts ${job.retry.maxAttempts} is more than Trigger.dev runs (${MAX_TRIGGER_ATTEMPTS})`,
        );
      }
      claim(job.name, `job "${job.name}"`);
      for (const entry of job.schedules) claim(declaredScheduleTaskId(entry.id), `schedule "${entry.id}"`);
    }
    this.#runtime = runtime;
  }

  /** The Trigger.dev tasks of this client's jobs, made once (see `toTriggerTasks`). */
  tasks(): TriggerTasks {
    this.#tasks ??= buildTriggerTasks(this.#attached(), this.scheduleTaskId);
    return this.#tasks;
  }

  async enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    const results: EnqueueResult[] = new Array(requests.length);
    try {
      await this.#enqueueInto(results, requests);
    } catch (error) {
      const stored = results.filter((result) => result !== undefined).length;
      throw stored > 0
        ? partlyStored(error, `${stored} of ${requests.length} jobs were stored before this failure`)
        : error;
    }
    return results;
  }

  /** Fills `results` in as each trigger or batch succeeds (so a failure knows what was stored). */
  async #enqueueInto(results: EnqueueResult[], requests: ReadonlyArray<EnqueueRequest>): Promise<void> {
    const batches = new Map<string, number[]>();
    for (const [index, request] of requests.entries()) {
      // Only a single trigger says whether an idempotency key was live (`isCached`).
      if (requests.length === 1 || request.idempotencyKey !== undefined) {
        results[index] = await this.#triggerOne(request);
      } else {
        const indexes = batches.get(request.job.name) ?? [];
        indexes.push(index);
        batches.set(request.job.name, indexes);
      }
    }
    for (const [jobName, indexes] of batches) {
      for (let start = 0; start < indexes.length; start += BATCH_SIZE) {
        const chunk = indexes.slice(start, start + BATCH_SIZE);
        const ids = await this.#triggerBatch(
          jobName,
          chunk.map((index) => requests[index]!),
        );
        for (const [position, index] of chunk.entries())
          results[index] = { id: ids[position]!, deduplicated: false };
      }
    }
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    const found = await this.#newestRun(id);
    return found && toJobSnapshot(id, found.run, found.job);
  }

  async cancel(id: string): Promise<boolean> {
    const found = await this.#newestRun(id);
    if (!found || isFinished(found.run.status)) return false;
    const runs = this.#api.runs;
    await this.#write({ operation: "runs.cancel", effect: "repeatable" }, () =>
      runs.cancel(found.run.id, ONE_TRY),
    );
    // Trigger.dev leaves a run that finished meanwhile as it was: then the cancel did nothing. A run
    // still executing is being cancelled (its attempt is told to stop).
    const after = await this.#retrieve(found.run.id);
    return !(after && isFinished(after.status) && after.status !== "CANCELED");
  }

  /** Replays the job's newest run, a failed one, as the next run of its chain (run-history.ts). */
  async retry(id: string): Promise<boolean> {
    const found = await this.#newestRun(id);
    if (!found || !isFailed(found.run.status)) return false;
    await this.#history.replay(id, found.run);
    return true;
  }

  listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    return this.#read("runs.list", () => this.#listFailed(options));
  }

  /**
   * Failed runs of the client's tasks, newest first, one per job: a run replayed since (it carries a
   * link to its replay) is not its job's state any more, and each candidate is checked against its
   * job's newest run (run-history.ts), which also reads the payload and error the list leaves out.
   */
  async #listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    const jobs = this.#attached().jobs;
    const names = options.job === undefined ? [...jobs.keys()] : jobs.has(options.job) ? [options.job] : [];
    if (names.length === 0 || options.limit <= 0) return [];
    const failedRuns = this.#api.runs.list({
      status: [...FAILED_STATUSES],
      taskIdentifier: names,
      limit: Math.min(100, Math.max(options.limit, 10)),
    });
    const listed: JobSnapshot[] = [];
    const seen = new Set<string>();
    let candidates: Array<{ runId: string; jobId: string }> = [];
    const settle = async () => {
      for (
        let start = 0;
        start < candidates.length && listed.length < options.limit;
        start += RETRIEVE_CONCURRENCY
      ) {
        const batch = candidates.slice(start, start + RETRIEVE_CONCURRENCY);
        const newest = await Promise.all(batch.map((candidate) => this.#history.newest(candidate.jobId)));
        for (const [position, run] of newest.entries()) {
          const job = run && jobs.get(run.taskIdentifier);
          if (run && job && run.id === batch[position]!.runId && isFailed(run.status))
            listed.push(toJobSnapshot(batch[position]!.jobId, run, job));
        }
      }
      candidates = [];
    };
    for await (const run of failedRuns) {
      if (RunHistory.wasReplayed(run)) continue;
      const jobId = jobIdOf(run.tags, run.id);
      if (seen.has(jobId)) continue;
      seen.add(jobId);
      candidates.push({ runId: run.id, jobId });
      if (listed.length + candidates.length >= options.limit) {
        await settle();
        if (listed.length >= options.limit) break;
      }
    }
    await settle();
    return listed.slice(0, options.limit);
  }

  counts(options: { job?: string }): Promise<JobCounts> {
    return this.#listing.counts(
      options.job === undefined ? [...this.#attached().jobs.keys()] : [options.job],
    );
  }

  /** Lists the client's jobs (a job not registered with it has no task here to read). */
  list(options: { state: JobState; job?: string; limit: number; cursor?: string }): Promise<JobPage> {
    const jobs = this.#attached().jobs;
    const tasks = options.job === undefined ? [...jobs.keys()] : jobs.has(options.job) ? [options.job] : [];
    return this.#listing.list({ ...options, tasks });
  }

  async upsertSchedule(entry: ScheduleEntry, options: { declared: boolean }): Promise<void> {
    // A declared schedule is the cron of its own `schedules.task` (see toTriggerTasks), which
    // Trigger.dev syncs when the tasks are deployed: there is nothing to store at run time.
    if (options.declared) return;
    const schedules = this.#api.schedules;
    const request = {
      task: this.scheduleTaskId,
      cron: entry.cron!,
      timezone: entry.timezone ?? "UTC",
      deduplicationKey: `${SCHEDULE_KEY_PREFIX}${entry.id}`,
      externalId: encodeScheduleTarget(entry),
    };
    // The deduplication key makes a second create update the same schedule.
    await this.#write({ operation: "schedules.create", effect: "repeatable" }, () =>
      schedules.create(request, ONE_TRY),
    );
  }

  async removeSchedule(id: string): Promise<boolean> {
    const key = `${SCHEDULE_KEY_PREFIX}${id}`;
    const schedules = this.#api.schedules;
    const found = await this.#read("schedules.list", async () => {
      for await (const schedule of schedules.list({ perPage: 100 })) {
        if (schedule.type === "IMPERATIVE" && schedule.deduplicationKey === key) return schedule.id;
      }
      return undefined;
    });
    if (found !== undefined) {
      await this.#write({ operation: "schedules.del", effect: "repeatable" }, () =>
        schedules.del(found, ONE_TRY),
      );
      return true;
    }
    const declared = [...this.#attached().jobs.values()].some((job) =>
      job.schedules.some((entry) => entry.id === id),
    );
    if (declared) {
      throw new ConfigError(
        `schedule "${id}" is declared in defineJob: Trigger.dev runs it from its schedules.task; remove it from the job and deploy the tasks again`,
      );
    }
    return false;
  }

  listSchedules(): Promise<ScheduleEntry[]> {
    return this.#read("schedules.list", () => this.#listSchedules());
  }

  async #listSchedules(): Promise<ScheduleEntry[]> {
    const jobs = this.#attached().jobs;
    const declared = new Map<string, ScheduleEntry>();
    for (const job of jobs.values()) {
      for (const entry of job.schedules) declared.set(declaredScheduleTaskId(entry.id), entry);
    }
    const entries: ScheduleEntry[] = [];
    for await (const schedule of this.#api.schedules.list({ perPage: 100 })) {
      const nextRunAt = schedule.nextRun ?? undefined;
      if (schedule.type === "DECLARATIVE") {
        const entry = declared.get(schedule.task);
        if (entry) entries.push({ ...entry, ...(nextRunAt ? { nextRunAt } : {}) });
        continue;
      }
      if (
        schedule.task !== this.scheduleTaskId ||
        !schedule.deduplicationKey?.startsWith(SCHEDULE_KEY_PREFIX)
      )
        continue;
      const target = decodeScheduleTarget(schedule.externalId);
      if (!target || !jobs.has(target.job)) continue;
      entries.push({
        id: schedule.deduplicationKey.slice(SCHEDULE_KEY_PREFIX.length),
        job: target.job,
        cron: schedule.generator.expression,
        timezone: schedule.timezone,
        payload: target.payload,
        ...(nextRunAt ? { nextRunAt } : {}),
      });
    }
    return entries;
  }

  /**
   * Every call is a plain HTTP request: nothing stays open but the waits of batches in flight for
   * their run ids, which this ends (those enqueues reject with ClientClosedError). Core refuses
   * every later call.
   */
  async close(): Promise<void> {
    this.#closing.abort();
  }

  // ---- internal ----

  get #api(): TriggerClient {
    // Without a key of its own the SDK uses TRIGGER_SECRET_KEY / TRIGGER_ACCESS_TOKEN, or inside a
    // Trigger.dev run the run's credentials; with none, its calls fail naming TRIGGER_SECRET_KEY.
    const { secretKey, baseURL } = this.#options;
    this.#client ??= new TriggerClient({
      ...(secretKey === undefined ? {} : { secretKey }),
      ...(baseURL === undefined ? {} : { baseURL }),
      // The SDK's retries of reads; writes are tried by the adapter itself (trigger-request.ts).
      requestOptions: this.#sdkRetry(),
    });
    return this.#client;
  }

  /** The `requestRetry` option in the SDK's terms. */
  #sdkRetry() {
    const retry = this.#options.requestRetry;
    return {
      retry: {
        maxAttempts: retry.maxAttempts,
        minTimeoutInMs: retry.minDelayMs,
        maxTimeoutInMs: retry.maxDelayMs,
        factor: retry.factor,
        randomize: false,
      },
    };
  }

  /** A read (the SDK retries it); its failure as Switchyard's error, stored: no. */
  async #read<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw triggerFailure(operation, error, "no", this.#target);
    }
  }

  #write<T>(write: TriggerWrite, run: () => Promise<T>): Promise<T> {
    return writeToTrigger(write, { retry: this.#options.requestRetry, target: this.#target }, run);
  }

  #attached(): JobRuntime {
    if (!this.#runtime)
      throw new ConfigError("the trigger() backend is not attached to a client: pass it to createSwitchyard");
    return this.#runtime;
  }

  async #triggerOne(request: EnqueueRequest): Promise<EnqueueResult> {
    const tasks = this.#api.tasks;
    const options = await runOptions(request);
    // With an idempotency key Trigger.dev starts one run however often it is sent.
    const effect = request.idempotencyKey === undefined ? "once" : "repeatable";
    const handle = await this.#write({ operation: "tasks.trigger", effect }, () =>
      tasks.trigger(request.job.name, request.payload, options, ONE_TRY),
    );
    // The trigger answer's `isCached` reaches the handle, though RunHandle's type leaves it out.
    return { id: handle.id, deduplicated: (handle as { isCached?: boolean }).isCached === true };
  }

  async #triggerBatch(jobName: string, requests: ReadonlyArray<EnqueueRequest>): Promise<string[]> {
    const items = await Promise.all(
      requests.map(async (request, index) => ({
        payload: request.payload,
        options: { ...(await runOptions(request)), tags: [batchItemTag(index)] },
      })),
    );
    // The SDK tries each phase itself: creating the batch stores no job, and its items, streamed
    // next, are deduplicated by batch and index. Only a failure while streaming may leave runs.
    let batch: { batchId: string; runCount: number };
    try {
      // Given per call: streaming the items reads no client-wide retry setting.
      batch = await this.#api.tasks.batchTrigger(jobName, items, undefined, this.#sdkRetry());
    } catch (error) {
      throw triggerFailure(
        "tasks.batchTrigger",
        error,
        streamingFailed(error) ? "unknown" : "no",
        this.#target,
      );
    }
    const { batchId, runCount } = batch;
    const api = {
      retrieve: (id: string) => this.#api.batch.retrieve(id),
      list: (id: string) => this.#api.runs.list({ batch: id, limit: 100 }),
    };
    try {
      return await waitForBatchRuns(
        api,
        batchId,
        runCount,
        this.#options.batchTimeoutMs,
        this.#closing.signal,
      );
    } catch (error) {
      const accepted = `Trigger.dev accepted batch ${batchId} of ${runCount} runs`;
      if (this.#closing.signal.aborted) {
        throw new ClientClosedError(`the client was closed while waiting for the run ids: ${accepted}`, {
          cause: error,
        });
      }
      throw partlyStored(triggerFailure("batch.retrieve", error, "unknown", this.#target), accepted);
    }
  }

  /** A run, or undefined when Trigger.dev knows no run of that id. */
  async #retrieve(runId: string): Promise<AnyRetrieveRunResult | undefined> {
    const runs = this.#api.runs;
    try {
      return await this.#read("runs.retrieve", () => runs.retrieve(runId));
    } catch (error) {
      if (error instanceof TriggerApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * The job a listed run belongs to, when the run is its newest: a failed run is checked against the
   * job's chain (a replay may have replaced it without its link written yet, run-history.ts); any
   * other run is read by its id (no run but a failed one is ever replayed).
   */
  async #listedSnapshot(listed: ListedRun): Promise<JobSnapshot | undefined> {
    const jobId = jobIdOf(listed.tags, listed.id);
    const found = isFailed(listed.status)
      ? await this.#newestRun(jobId)
      : await this.#retrieve(listed.id).then((run) => {
          const job = run && this.#attached().jobs.get(run.taskIdentifier);
          return run && job ? { run, job } : undefined;
        });
    if (!found || found.run.id !== listed.id) return undefined;
    return toJobSnapshot(jobId, found.run, found.job);
  }

  /** The newest run of a job of this client (run-history.ts), with its job; undefined for another task's run. */
  async #newestRun(jobId: string): Promise<{ run: AnyRetrieveRunResult; job: AnyJobDefinition } | undefined> {
    const run = await this.#history.newest(jobId);
    const job = run && this.#attached().jobs.get(run.taskIdentifier);
    return run && job ? { run, job } : undefined;
  }

  /**
   * Adds tags to a run through the SDK's own API client (`ApiClient.addTags`, what `tags.add` calls
   * inside a run); TriggerClient has no call for it. Repeating it adds nothing twice.
   */
  #addTags(runId: string, tags: string[]): Promise<void> {
    const { secretKey, baseURL } = this.#options;
    const api = apiClientManager.clientOrThrow({
      ...(secretKey === undefined ? {} : { secretKey }),
      ...(baseURL === undefined ? {} : { baseURL }),
    });
    return this.#write({ operation: "runs.addTags", effect: "repeatable" }, async () => {
      await api.addTags(runId, { tags }, ONE_TRY);
    });
  }
}

/** A batch failure while its items were being streamed: some of its runs may exist. */
function streamingFailed(error: unknown): boolean {
  return (error as { name?: unknown; phase?: unknown })?.name === "BatchTriggerError"
    ? (error as { phase?: unknown }).phase === "stream"
    : false;
}

/** An enqueue's failure once some of its jobs were stored: `stored` can no longer be "no". */
function partlyStored(error: unknown, note: string): unknown {
  if (error instanceof BackendUnavailableError) {
    return new BackendUnavailableError("trigger", `${error.message} (${note})`, {
      cause: error.cause,
      stored: "unknown",
    });
  }
  if (error instanceof Error) error.message = `${error.message} (${note})`;
  return error;
}
