import {
  type Backend,
  BackendUnavailableError,
  ClientClosedError,
  ConfigError,
  DEFAULT_RETRY_POLICY,
  type EnqueueResult,
  type JobCounts,
  type JobPage,
  type JobSnapshot,
  type JobState,
  NotSupportedError,
  type ScheduleEntry,
} from "@switchyard/core";
import { type EnqueueRequest, type JobRuntime, nextCronTime } from "@switchyard/core/adapter";
import type { Inngest, InngestFunction } from "inngest";
import { serve } from "inngest/edge";
import { AttemptInterrupts } from "./attempt-interrupts.js";
import { findDuplicates, type SentKeyedEvent } from "./deduplication-check.js";
import { inngestCapabilities } from "./inngest-capabilities.js";
import { sendFailure } from "./inngest-failure.js";
import type { InngestBackendOptions } from "./inngest-options.js";
import { type ApiRun, InngestRestClient } from "./inngest-rest-client.js";
import { type JobEvent, jobEvent } from "./job-event.js";
import { jobFunction } from "./job-function.js";
import { INVOKED_EVENT, jobNameOf } from "./job-id.js";
import { JobListing } from "./job-listing.js";
import { findJob } from "./job-lookup.js";
import { isEndedStatus, latestRun, toJobSnapshot } from "./job-snapshot.js";
import { RequestSignals } from "./request-signals.js";
import { resolveInngestOptions } from "./resolve-inngest-options.js";
import { cronTrigger } from "./schedule-triggers.js";
import { observeSend, type SendTries } from "./send-tries.js";

/** `inngest.send` takes at most this many events, or this many bytes of JSON, per call. */
const SEND_BATCH_EVENTS = 100;
const SEND_BATCH_BYTES = 512 * 1024;

/**
 * The Inngest backend: each job is an Inngest function (id = job name) triggered by the event
 * `switchyard/<job name>`, each enqueue an event, and `jobs.handler()` the inngest SDK's own
 * `serve()` (Web `Request => Response`), which checks Inngest's signature on every call outside
 * dev mode. `get`, `cancel`, `retry` and `listFailed` use Inngest's REST API.
 */
export function inngest(options: InngestBackendOptions = {}): Backend {
  return new InngestBackend(options);
}

class InngestBackend implements Backend {
  readonly capabilities = inngestCapabilities;
  readonly #client: Inngest.Any;
  readonly #ownClient: boolean;
  readonly #rest: InngestRestClient;
  readonly #runCreationWaitMs: number;
  readonly #signals = new RequestSignals();
  readonly #interrupts = new AttemptInterrupts();
  /** Aborted by close(): ends the waits for run creation in flight. */
  readonly #closing = new AbortController();
  #runtime?: JobRuntime;
  #functions: InngestFunction.Any[] = [];
  #handler?: (request: Request) => Promise<Response>;
  readonly #listing = new JobListing({
    runs: (query) => this.#rest.runs({ ...query, appId: this.#client.id, includeOutput: true }),
    isJobState: async (run) => run.status !== "FAILED" || (await this.#replacedBy(run)) === undefined,
    snapshot: (run, job) => this.#runSnapshot(run, job),
  });

  constructor(options: InngestBackendOptions) {
    const resolved = resolveInngestOptions(options);
    this.#client = resolved.client;
    this.#ownClient = resolved.ownClient;
    this.#runCreationWaitMs = resolved.runCreationWaitMs;
    this.#rest = new InngestRestClient({
      baseUrl: this.#client.apiBaseUrl,
      signingKey: this.#client.signingKey,
    });
  }

  attach(runtime: JobRuntime): void {
    // Functions are built now so that a job Inngest cannot run fails createSwitchyard.
    const byJob = new Map<string, InngestFunction.Any>();
    for (const job of runtime.jobs.values()) {
      const fn = jobFunction(this.#client, job, runtime, this.#signals, this.#interrupts, (name) =>
        byJob.get(name),
      );
      byJob.set(job.name, fn);
    }
    this.#functions = [...byJob.values()];
    this.#runtime = runtime;
  }

  async enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    if (this.#client.mode === "cloud" && !this.#client.eventKey) {
      throw new ConfigError(
        "inngest(): sending events in cloud mode needs an event key: set eventKey or INNGEST_EVENT_KEY",
      );
    }
    const events = requests.map(jobEvent);
    const ids: string[] = [];
    for (const batch of sendBatches(events)) {
      try {
        ids.push(...(await this.#send(batch)));
      } catch (error) {
        throw ids.length > 0
          ? partlyStored(
              error,
              `the first ${ids.length} of ${events.length} jobs were stored before this failure`,
            )
          : error;
      }
    }
    try {
      const duplicates = await this.#duplicates(requests, events, ids);
      // Without a key the job's id is the event id Inngest returned (the function sees it as event.id).
      return events.map((event, index) => {
        const eventId = ids[index] as string;
        return event.id === undefined
          ? { id: eventId, deduplicated: false }
          : { id: event.id, deduplicated: duplicates.has(eventId) };
      });
    } catch (error) {
      throw partlyStored(error, "the events were sent; checking whether Inngest deduplicated them failed");
    }
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    const found = await findJob(this.#rest, id);
    if (!found) return undefined;
    const run = latestRun(found.runs);
    if (run?.status === "RUNNING") {
      // A run between two attempts, or asleep in a step, is RUNNING too: its queue item, due later,
      // tells them apart. A `pause` item is the timeout of a wait for an invoked child (a year by
      // default, G:pkg/execution/state/opcode.go:411-417): the parent is then running, not due.
      const now = Date.now();
      const waiting = (await this.#rest.runJobs(run.id)).find(
        (job) => job.kind !== "pause" && Date.parse(job.at) > now,
      );
      if (waiting) found.retry = { at: new Date(waiting.at), attempts: waiting.attempt };
    }
    return toJobSnapshot(found, this.#maxAttempts(found.jobName));
  }

  /**
   * Cancels the job's newest run through REST v2 (false when it has ended meanwhile). A job sent
   * moments ago may have no run yet (Inngest creates it after the event API has answered): cancel
   * waits up to runCreationWait for it, and answers false if none shows (an event Inngest started
   * nothing for).
   */
  async cancel(id: string): Promise<boolean> {
    const deadline = Date.now() + this.#runCreationWaitMs;
    for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
      const found = await findJob(this.#rest, id);
      if (!found) return false;
      const run = latestRun(found.runs);
      if (run) return !isEndedStatus(run.status) && (await this.#rest.cancelRun(run.id));
      if (Date.now() + wait > deadline) return false;
      await this.#pause(wait);
    }
  }

  async retry(id: string): Promise<boolean> {
    const found = await findJob(this.#rest, id);
    const run = latestRun(found?.runs ?? []);
    if (run?.status !== "FAILED") return false;
    await this.#rest.rerun(run.id);
    return true;
  }

  async listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    const failed: JobSnapshot[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#rest.runs({
        status: "FAILED",
        appId: this.#client.id,
        functionId: options.job,
        limit: Math.min(Math.max(options.limit, 1), 100),
        cursor,
        includeOutput: false,
      });
      for (const run of page.runs) {
        if (failed.length >= options.limit) break;
        const snapshot = await this.#runSnapshot(run, options.job);
        if (snapshot) failed.push(snapshot);
      }
      cursor = page.cursor;
    } while (cursor && failed.length < options.limit);
    return failed;
  }

  counts(options: { job?: string }): Promise<JobCounts> {
    return this.#listing.counts(options.job);
  }

  list(options: { state: JobState; job?: string; limit: number; cursor?: string }): Promise<JobPage> {
    return this.#listing.list(options);
  }

  async upsertSchedule(entry: ScheduleEntry, options: { declared: boolean }): Promise<void> {
    if (!options.declared) {
      throw new NotSupportedError(
        "inngest",
        "schedules.upsert",
        inngestCapabilities.notes?.["schedule.imperative"],
      );
    }
    // A declared schedule is a cron trigger of the job's function already: Inngest takes it from the
    // function definition when it syncs the app. Nothing to store.
    const declared = this.#runtime?.jobs.get(entry.job)?.schedules.some((known) => known.id === entry.id);
    if (!declared) throw new ConfigError(`schedule "${entry.id}" is not declared in job "${entry.job}"`);
  }

  async removeSchedule(_id: string): Promise<boolean> {
    throw new NotSupportedError(
      "inngest",
      "schedules.remove",
      inngestCapabilities.notes?.["schedule.imperative"],
    );
  }

  async listSchedules(): Promise<ScheduleEntry[]> {
    const now = new Date();
    return [...(this.#runtime?.jobs.values() ?? [])].flatMap((job) =>
      job.schedules.map((entry) => ({
        ...entry,
        nextRunAt: entry.cron === undefined ? undefined : nextCronTime(entry.cron, entry.timezone, now),
      })),
    );
  }

  handler(): (request: Request) => Promise<Response> {
    if (!this.#runtime) throw new ConfigError("the inngest backend is not attached to a client yet");
    if (!this.#handler) {
      const serveHandler = serve({ client: this.#client, functions: this.#functions });
      this.#handler = (request) =>
        this.#closing.signal.aborted
          ? Promise.resolve(closedResponse())
          : this.#interrupts.around(request, (inner) => this.#signals.around(inner, serveHandler));
    }
    return this.#handler;
  }

  /**
   * Events and REST calls are plain HTTP requests: nothing stays open but the waits for Inngest to
   * create a run (a keyed enqueue or a cancel in flight), which this ends (they reject with
   * ClientClosedError). The handler answers 503 from then on, which Inngest retries.
   */
  async close(): Promise<void> {
    this.#closing.abort();
  }

  /** One `inngest.send`; its failure as Switchyard's error (inngest-failure.ts). */
  async #send(batch: JobEvent[]): Promise<string[]> {
    const tries: SendTries = { count: 0, reached: false };
    try {
      const { ids } = await observeSend(tries, () =>
        this.#client.send(batch as Parameters<Inngest.Any["send"]>[0]),
      );
      return ids;
    } catch (error) {
      throw sendFailure(error, {
        eventApi: this.#client.eventBaseUrl,
        tries: this.#ownClient ? tries : undefined,
      });
    }
  }

  /** The internal ids of the keyed events just sent that Inngest will not run (deduplication-check.ts), one check per job. */
  async #duplicates(
    requests: ReadonlyArray<EnqueueRequest>,
    events: ReadonlyArray<JobEvent>,
    ids: ReadonlyArray<string>,
  ): Promise<Set<string>> {
    const keyed = new Map<string, SentKeyedEvent[]>();
    events.forEach((event, index) => {
      if (event.id === undefined) return;
      const jobName = requests[index]!.job.name;
      keyed.set(jobName, [
        ...(keyed.get(jobName) ?? []),
        { id: event.id, sentEventId: ids[index] as string },
      ]);
    });
    const checks = [...keyed].map(([jobName, sent]) =>
      findDuplicates({
        rest: this.#rest,
        jobName,
        sent,
        waitMs: this.#runCreationWaitMs,
        pause: (ms) => this.#pause(ms),
      }),
    );
    return new Set((await Promise.all(checks)).flatMap((found) => [...found]));
  }

  #maxAttempts(jobName: string): number {
    return this.#runtime?.jobs.get(jobName)?.retry.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts;
  }

  /** A short pause (at most 500 ms, ref'd: an enqueue is waiting on it), cut short by close(). */
  #pause(ms: number): Promise<void> {
    const closing = this.#closing.signal;
    return new Promise((resolve, reject) => {
      const closed = () => {
        clearTimeout(timer);
        reject(new ClientClosedError("the client was closed while waiting for Inngest to create a run"));
      };
      const timer = setTimeout(() => {
        closing.removeEventListener("abort", closed);
        resolve();
      }, ms);
      if (closing.aborted) closed();
      else closing.addEventListener("abort", closed, { once: true });
    });
  }

  /**
   * The job a listed run is the state of; undefined when it is not a job's, or a failed run a retry
   * replaced. A failed run is read with its event's runs (the newest decides, and holds the output);
   * a completed or cancelled run is never replaced (retry reruns failed runs only), so the listed run
   * (with its output) is enough.
   */
  async #runSnapshot(run: ApiRun, job: string | undefined): Promise<JobSnapshot | undefined> {
    const functionId = run.function?.id ?? "";
    const prefix = `${this.#client.id}-`;
    const jobName = functionId.startsWith(prefix) ? functionId.slice(prefix.length) : functionId;
    if (job !== undefined && jobName !== job) return undefined;
    const eventId = run.trigger?.eventIds?.[0];
    if (!eventId) return undefined;
    const event = await this.#rest.event(eventId);
    if (!event) return undefined;
    let runs = [run];
    if (run.status === "FAILED") {
      runs = await this.#rest.eventRuns(eventId);
      if (latestRun(runs)?.id !== run.id) return undefined;
    }
    const snapshot = toJobSnapshot({ event, jobName, runs }, this.#maxAttempts(jobName));
    if (jobNameOf(event.name) !== undefined || event.name === INVOKED_EVENT) return snapshot;
    // A scheduled run: it was never enqueued, so it is known by its run id.
    const entry = this.#runtime?.jobs
      .get(jobName)
      ?.schedules.find((candidate) => cronTrigger(candidate) === run.trigger?.cronSchedule);
    return { ...snapshot, id: run.id, payload: entry?.payload };
  }

  /** The rerun that replaced failed run `run`, if `retry(id)` made one. */
  async #replacedBy(run: ApiRun): Promise<ApiRun | undefined> {
    const eventId = run.trigger?.eventIds?.[0];
    if (!eventId) return undefined;
    const latest = latestRun(await this.#rest.eventRuns(eventId));
    return latest && latest.id !== run.id ? latest : undefined;
  }
}

/** What the handler answers once the client is closed: a 5xx, which Inngest retries. */
function closedResponse(): Response {
  return new Response(JSON.stringify({ error: "this Switchyard client is closed" }), {
    status: 503,
    headers: { "content-type": "application/json" },
  });
}

/** An enqueue's failure once some of its events were stored: `stored` can no longer be "no". */
function partlyStored(error: unknown, note: string): unknown {
  if (error instanceof BackendUnavailableError) {
    return new BackendUnavailableError("inngest", `${error.message} (${note})`, {
      cause: error.cause,
      stored: "unknown",
    });
  }
  if (error instanceof Error) error.message = `${error.message} (${note})`;
  return error;
}

/** Splits events into `send` calls of at most SEND_BATCH_EVENTS events and about SEND_BATCH_BYTES. */
function sendBatches(events: ReadonlyArray<JobEvent>): JobEvent[][] {
  const batches: JobEvent[][] = [];
  let current: JobEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(JSON.stringify(event));
    if (current.length > 0 && (current.length >= SEND_BATCH_EVENTS || bytes + size > SEND_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
