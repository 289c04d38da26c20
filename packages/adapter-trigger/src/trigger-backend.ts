import {
  type AnyJobDefinition,
  type Backend,
  BackendUnavailableError,
  ClientClosedError,
  ConfigError,
  type EnqueueResult,
  type JobSnapshot,
  type ScheduleEntry,
  type Switchyard,
} from "@switchyard/core";
import type { EnqueueRequest, JobRuntime } from "@switchyard/core/adapter";
import { type AnyRetrieveRunResult, TriggerClient } from "@trigger.dev/sdk";
import { batchItemTag, waitForBatchRuns } from "./batch-runs.js";
import { FAILED_STATUSES, isFailed, isFinished, jobSnapshot } from "./job-snapshot.js";
import { jobIdOf, jobTag, RETRY_TAG } from "./job-tags.js";
import { type ResolvedTriggerOptions, resolveTriggerOptions } from "./resolve-trigger-options.js";
import { MAX_TRIGGER_ATTEMPTS } from "./retry-options.js";
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
import { triggerPriority } from "./trigger-priority.js";
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

  constructor(options: TriggerBackendOptions = {}) {
    this.#options = resolveTriggerOptions(options);
    this.scheduleTaskId = this.#options.scheduleTaskId;
    this.#target =
      this.#options.baseURL === undefined ? "Trigger.dev" : `Trigger.dev at ${this.#options.baseURL}`;
  }

  attach(runtime: JobRuntime): void {
    if (this.#runtime)
      throw new ConfigError("a trigger() backend serves one client; call trigger() for each");
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
    this.#assertOpen();
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
    this.#assertOpen();
    const found = await this.#newestRun(id);
    return found && jobSnapshot(id, found.run, found.job);
  }

  async cancel(id: string): Promise<boolean> {
    this.#assertOpen();
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

  async retry(id: string): Promise<boolean> {
    this.#assertOpen();
    const found = await this.#newestRun(id);
    if (!found || !isFailed(found.run.status)) return false;
    const runs = this.#api.runs;
    // A second replay would be a second run: not tried again once one may have arrived.
    await this.#write({ operation: "runs.replay", effect: "once" }, () =>
      runs.replay(found.run.id, { tags: [jobTag(id), RETRY_TAG], priority: triggerPriority() }, ONE_TRY),
    );
    return true;
  }

  listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    this.#assertOpen();
    return this.#read("runs.list", () => this.#listFailed(options));
  }

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
    let candidates: Array<{ runId: string; jobId: string; createdAt: Date }> = [];
    const settle = async () => {
      if (candidates.length === 0) return;
      const newest = await this.#newestReplays(names, candidates);
      // A failed run that was retried since is not the job's state any more.
      const current = candidates.filter(
        (candidate) => (newest.get(candidate.jobId) ?? candidate.runId) === candidate.runId,
      );
      candidates = [];
      for (let start = 0; start < current.length; start += RETRIEVE_CONCURRENCY) {
        const runs = await Promise.all(
          current
            .slice(start, start + RETRIEVE_CONCURRENCY)
            .map((candidate) => this.#retrieve(candidate.runId)),
        );
        for (const [position, run] of runs.entries()) {
          const job = run && jobs.get(run.taskIdentifier);
          if (run && job && isFailed(run.status))
            listed.push(jobSnapshot(current[start + position]!.jobId, run, job));
        }
      }
    };
    for await (const run of failedRuns) {
      const jobId = jobIdOf(run.tags, run.id);
      if (seen.has(jobId)) continue;
      seen.add(jobId);
      candidates.push({ runId: run.id, jobId, createdAt: run.createdAt });
      if (listed.length + candidates.length >= options.limit) {
        await settle();
        if (listed.length >= options.limit) break;
      }
    }
    await settle();
    return listed.slice(0, options.limit);
  }

  async upsertSchedule(entry: ScheduleEntry, options: { declared: boolean }): Promise<void> {
    this.#assertOpen();
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
    this.#assertOpen();
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
    this.#assertOpen();
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
   * their run ids, which this ends (those enqueues reject with ClientClosedError). Later calls
   * throw ClientClosedError.
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

  #assertOpen(): void {
    if (this.#closing.signal.aborted) throw new ClientClosedError("this trigger() backend is closed");
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

  /** The newest run of a job of this client: its first run, or the last `retry(id)` replay. */
  async #newestRun(jobId: string): Promise<{ run: AnyRetrieveRunResult; job: AnyJobDefinition } | undefined> {
    const first = await this.#retrieve(jobId);
    const job = first && this.#attached().jobs.get(first.taskIdentifier);
    if (!first || !job) return undefined;
    // Only a failed run is ever replayed, and the original stays failed.
    if (!isFailed(first.status)) return { run: first, job };
    const runs = this.#api.runs;
    const page = await this.#read("runs.list", () =>
      runs.list({ tag: jobTag(jobId), taskIdentifier: job.name, limit: 1 }),
    );
    const newest = page.data[0];
    const run = newest && newest.id !== first.id ? await this.#retrieve(newest.id) : undefined;
    return { run: run ?? first, job };
  }

  /** The newest replay of each job, among those created since the oldest candidate. */
  async #newestReplays(
    names: string[],
    candidates: ReadonlyArray<{ createdAt: Date }>,
  ): Promise<Map<string, string>> {
    const from = new Date(Math.min(...candidates.map((candidate) => candidate.createdAt.getTime())));
    const newest = new Map<string, string>();
    for await (const run of this.#api.runs.list({
      tag: RETRY_TAG,
      taskIdentifier: names,
      from,
      limit: 100,
    })) {
      const jobId = jobIdOf(run.tags, run.id);
      if (!newest.has(jobId)) newest.set(jobId, run.id);
    }
    return newest;
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
