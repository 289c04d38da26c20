import {
  type Backend,
  BackendUnavailableError,
  ClientClosedError,
  ConfigError,
  DEFAULT_RETRY_POLICY,
  type EnqueueResult,
  type JobSnapshot,
  NotSupportedError,
  type ScheduleEntry,
} from "@switchyard/core";
import { type EnqueueRequest, type JobRuntime, nextCronTime } from "@switchyard/core/adapter";
import type { Inngest, InngestFunction } from "inngest";
import { serve } from "inngest/edge";
import { inngestCapabilities } from "./inngest-capabilities.js";
import { sendFailure } from "./inngest-failure.js";
import type { InngestBackendOptions } from "./inngest-options.js";
import { type ApiRunV2, InngestRestClient } from "./inngest-rest-client.js";
import { type JobEvent, jobEvent } from "./job-event.js";
import { jobFunction } from "./job-function.js";
import { eventNameFor, jobNameOf, parseJobId } from "./job-id.js";
import { type FoundJob, isEndedStatus, jobSnapshot, latestRun } from "./job-snapshot.js";
import { RequestSignals } from "./request-signals.js";
import { resolveInngestOptions } from "./resolve-inngest-options.js";
import { cronTrigger } from "./schedule-triggers.js";
import { observeSend, type SendTries } from "./send-tries.js";

/** `inngest.send` takes at most this many events, or this many bytes of JSON, per call. */
const SEND_BATCH_EVENTS = 100;
const SEND_BATCH_BYTES = 512 * 1024;
/** How far back, and through how many events, get/cancel/retry look for the event of a keyed job id. */
const KEYED_LOOKBACK_MS = 7 * 86_400_000;
const KEYED_SCAN_EVENTS = 1_000;
const EVENTS_PAGE = 50;

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
  readonly #deduplicationCheckMs: number;
  readonly #signals = new RequestSignals();
  /** Aborted by close(): ends the deduplication checks in flight. */
  readonly #closing = new AbortController();
  #runtime?: JobRuntime;
  #functions: InngestFunction.Any[] = [];
  #handler?: (request: Request) => Promise<Response>;

  constructor(options: InngestBackendOptions) {
    const resolved = resolveInngestOptions(options);
    this.#client = resolved.client;
    this.#ownClient = resolved.ownClient;
    this.#deduplicationCheckMs = resolved.deduplicationCheckMs;
    if (this.#client.mode === "cloud" && !this.#client.signingKey) {
      throw new ConfigError(
        "inngest(): cloud mode needs a signing key, to check that calls come from Inngest and to use its REST API: set signingKey or INNGEST_SIGNING_KEY (or isDev / INNGEST_DEV=1 for the Inngest Dev Server)",
      );
    }
    this.#rest = new InngestRestClient({
      baseUrl: this.#client.apiBaseUrl,
      signingKey: this.#client.signingKey,
    });
  }

  attach(runtime: JobRuntime): void {
    if (this.#runtime) throw new ConfigError("an inngest backend serves one client; call inngest() for each");
    // Functions are built now so that a job Inngest cannot run fails createSwitchyard.
    this.#functions = [...runtime.jobs.values()].map((job) =>
      jobFunction(this.#client, job, runtime, this.#signals),
    );
    this.#runtime = runtime;
  }

  async enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    this.#assertOpen();
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
      return await Promise.all(
        events.map(async (event, index) => {
          const eventId = ids[index] as string;
          // Without a key the job's id is the event id Inngest returned (the function sees it as event.id).
          if (event.id === undefined) return { id: eventId, deduplicated: false };
          return { id: event.id, deduplicated: !(await this.#startedRun(eventId)) };
        }),
      );
    } catch (error) {
      throw partlyStored(error, "the events were sent; checking whether Inngest deduplicated them failed");
    }
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    this.#assertOpen();
    const found = await this.#find(id);
    if (!found) return undefined;
    const run = latestRun(found.runs);
    // REST v1 says Running for a run not called yet as well; v2 tells QUEUED apart.
    const queued =
      run !== undefined &&
      !isEndedStatus(run.status) &&
      (await this.#rest.run(run.run_id))?.status === "QUEUED";
    return jobSnapshot(found, run, this.#maxAttempts(found.jobName), queued);
  }

  async cancel(id: string): Promise<boolean> {
    this.#assertOpen();
    const run = latestRun((await this.#find(id))?.runs ?? []);
    if (!run || isEndedStatus(run.status)) return false;
    await this.#rest.cancelRun(run.run_id);
    return true;
  }

  async retry(id: string): Promise<boolean> {
    this.#assertOpen();
    const run = latestRun((await this.#find(id))?.runs ?? []);
    if (run?.status !== "Failed") return false;
    await this.#rest.rerun(run.run_id);
    return true;
  }

  async listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    this.#assertOpen();
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
        const snapshot = await this.#failedSnapshot(run, options.job);
        if (snapshot) failed.push(snapshot);
      }
      cursor = page.cursor;
    } while (cursor && failed.length < options.limit);
    return failed;
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
          : this.#signals.around(request, serveHandler);
    }
    return this.#handler;
  }

  /**
   * Events and REST calls are plain HTTP requests: nothing stays open but the deduplication checks of
   * enqueues in flight, whose timers this ends (those enqueues reject with ClientClosedError). Later
   * calls throw ClientClosedError, and the handler answers 503, which Inngest retries.
   */
  async close(): Promise<void> {
    this.#closing.abort();
  }

  #assertOpen(): void {
    if (this.#closing.signal.aborted) throw new ClientClosedError("this inngest backend is closed");
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

  #maxAttempts(jobName: string): number {
    return this.#runtime?.jobs.get(jobName)?.retry.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts;
  }

  /** Polls the runs of a just-sent event until Inngest has started one, or the check times out. */
  async #startedRun(eventId: string): Promise<boolean> {
    const deadline = Date.now() + this.#deduplicationCheckMs;
    for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
      if ((await this.#rest.eventRuns(eventId)).length > 0) return true;
      if (Date.now() + wait > deadline) return false;
      await this.#pause(wait);
    }
  }

  /** A short pause (at most 500 ms, ref'd: an enqueue is waiting on it), cut short by close(). */
  #pause(ms: number): Promise<void> {
    const closing = this.#closing.signal;
    return new Promise((resolve, reject) => {
      const closed = () => {
        clearTimeout(timer);
        reject(
          new ClientClosedError("the client was closed while checking whether Inngest deduplicated an event"),
        );
      };
      const timer = setTimeout(() => {
        closing.removeEventListener("abort", closed);
        resolve();
      }, ms);
      if (closing.aborted) closed();
      else closing.addEventListener("abort", closed, { once: true });
    });
  }

  /** The event behind a job id and its runs, or undefined when Inngest does not know it. */
  async #find(id: string): Promise<FoundJob | undefined> {
    const ref = parseJobId(id);
    if (!ref) return undefined;
    if (ref.kind === "event") {
      const event = await this.#rest.event(ref.eventId);
      const jobName = event && jobNameOf(event.name);
      if (!event || jobName === undefined) return undefined;
      return { event, jobName, runs: await this.#rest.eventRuns(event.internal_id) };
    }
    // A keyed id is the event id of every enqueue with the key: the newest of those events that
    // started a run holds the job (the others were deduplicated).
    let newest: FoundJob | undefined;
    let cursor: string | undefined;
    const receivedAfter = new Date(Date.now() - KEYED_LOOKBACK_MS);
    for (let scanned = 0; scanned < KEYED_SCAN_EVENTS; scanned += EVENTS_PAGE) {
      const page = await this.#rest.events({
        name: eventNameFor(ref.jobName),
        receivedAfter,
        cursor,
        limit: EVENTS_PAGE,
      });
      for (const event of page) {
        if (event.id !== id) continue;
        const found = { event, jobName: ref.jobName, runs: await this.#rest.eventRuns(event.internal_id) };
        if (found.runs.length > 0) return found;
        newest ??= found;
      }
      if (page.length < EVENTS_PAGE) break;
      cursor = page.at(-1)?.internal_id;
    }
    return newest;
  }

  /** A failed run as listFailed returns it; undefined when a rerun replaced it or it is not a job's. */
  async #failedSnapshot(run: ApiRunV2, job: string | undefined): Promise<JobSnapshot | undefined> {
    const functionId = run.function?.id ?? "";
    const prefix = `${this.#client.id}-`;
    const jobName = functionId.startsWith(prefix) ? functionId.slice(prefix.length) : functionId;
    if (job !== undefined && jobName !== job) return undefined;
    const eventId = run.trigger?.eventIds?.[0];
    if (!eventId) return undefined;
    const event = await this.#rest.event(eventId);
    if (!event) return undefined;
    const runs = await this.#rest.eventRuns(eventId);
    const v1 = runs.find((candidate) => candidate.run_id === run.id);
    if (!v1 || latestRun(runs)?.run_id !== run.id) return undefined;
    const snapshot = jobSnapshot({ event, jobName, runs }, v1, this.#maxAttempts(jobName), false);
    if (jobNameOf(event.name) !== undefined) return snapshot;
    // A scheduled run: it was never enqueued, so it is known by its run id.
    const entry = this.#runtime?.jobs
      .get(jobName)
      ?.schedules.find((candidate) => cronTrigger(candidate) === run.trigger?.cronSchedule);
    return { ...snapshot, id: run.id, payload: entry?.payload };
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
