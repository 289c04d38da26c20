import {
  type Backend,
  BackendUnavailableError,
  ConfigError,
  type EnqueueResult,
  type JobCounts,
  type JobPage,
  type JobSnapshot,
  type JobState,
  type ScheduleEntry,
} from "@switchyard/core";
import type { EnqueueRequest, JobRuntime } from "@switchyard/core/adapter";
import { Client, type Message, Receiver } from "@upstash/qstash";
import { AccountKeys, escapeId } from "./account-keys.js";
import { jsonResponse } from "./attempt-response.js";
import { carriedSnapshot } from "./carried-snapshot.js";
import { parseCarriedBody } from "./continuation.js";
import { type CarriedMessage, createDeliveryHandler } from "./delivery-handler.js";
import { type DeliveryTarget, deliveryTarget, destinationUrl } from "./destination-url.js";
import { JobListing } from "./job-listing.js";
import {
  type DeadLetter,
  deadLetterReport,
  type LogRecord,
  toJobSnapshot,
  toJobSnapshotFromDeadLetter,
} from "./job-snapshot.js";
import {
  type JobPublishRequest,
  jobMessageSettings,
  jobPublishRequest,
  type PublishContext,
} from "./publish-request.js";
import { qstashCapabilities } from "./qstash-capabilities.js";
import { isNotFound } from "./qstash-not-found.js";
import type { QStashBackendOptions } from "./qstash-options.js";
import { type CallEffect, callQStash } from "./qstash-request.js";
import { type ResolvedQStashOptions, resolveQStashOptions } from "./resolve-qstash-options.js";
import { createScheduleRequest, scheduleEntryOf } from "./schedule-entry.js";
import { parseStoredBody, storedBodyText } from "./stored-body.js";
import { storedTraceHeaders, traceHeaders } from "./trace-header.js";

/** Messages per `POST /v2/batch` call; a longer enqueueMany is sent in several batches, in order. */
const BATCH_SIZE = 100;
/** Log entries read per `GET /v2/events` call (the API's maximum). */
const LOG_PAGE = 1_000;

/**
 * A message past these states cannot be cancelled (again): CANCEL_REQUESTED is logged when a cancel is
 * received, before CANCELLED at the message's delivery time (qstash/howto/debug-logs.mdx).
 */
const DONE: ReadonlySet<string> = new Set([
  "DELIVERED",
  "FAILED",
  "CANCELLED",
  "CANCELED",
  "CANCEL_REQUESTED",
]);

/** A message cancelled, or whose cancel QStash received (logged before CANCELLED, qstash/howto/debug-logs.mdx). */
const CANCELLED: ReadonlySet<string> = new Set(["CANCEL_REQUESTED", "CANCELLED", "CANCELED"]);

/** A message in these states may have been carried on by a continuation, or published again by retry(id). */
const SETTLED: ReadonlySet<string> = new Set(["DELIVERED", "FAILED"]);

/**
 * The Upstash QStash backend: jobs are published to QStash, which calls `jobs.handler()` at `url` for
 * each attempt. Nothing runs in the process that enqueues, and there is no worker to start.
 */
export function qstash(options: QStashBackendOptions): Backend {
  return new QStashBackend(options);
}

class QStashBackend implements Backend {
  readonly capabilities = qstashCapabilities;
  readonly #options: ResolvedQStashOptions;
  readonly #keys: AccountKeys;
  readonly #publishContext: PublishContext;
  /** Where errors say the calls went. */
  readonly #target: string;
  #runtime?: JobRuntime;
  #client?: Client;
  #handler?: (request: Request) => Promise<Response>;
  #closed = false;
  readonly #listing = new JobListing({
    deadLetters: ({ label, count, cursor }) => {
      const dlq = this.#api().dlq;
      const request = { filter: { label }, count, ...(cursor ? { cursor } : {}) };
      return this.#call("dlq.listMessages", "read", () => dlq.listMessages(request)) as Promise<{
        messages: DeadLetter[];
        cursor?: string;
      }>;
    },
    logs: (request) => {
      const client = this.#api();
      return this.#call("logs", "read", () => client.logs(request)) as Promise<{
        logs: LogRecord[];
        cursor?: string;
      }>;
    },
    maxAttemptsOf: (job) => this.#runtime?.jobs.get(job)?.retry.maxAttempts,
  });

  constructor(options: QStashBackendOptions) {
    this.#options = resolveQStashOptions(options);
    this.#keys = new AccountKeys(this.#options.namespace);
    this.#publishContext = { handlerUrl: this.#options.url, keys: this.#keys };
    this.#target = this.#options.baseUrl === undefined ? "QStash" : `QStash at ${this.#options.baseUrl}`;
  }

  attach(runtime: JobRuntime): void {
    this.#runtime = runtime;
  }

  async enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    const client = this.#api();
    const now = Date.now();
    const publishes = requests.map((request) => jobPublishRequest(request, this.#publishContext, now));
    // Without a deduplication id on every message, a second try after one that may have arrived
    // could store the jobs twice.
    const effect = (batch: ReadonlyArray<{ deduplicationId?: string }>): CallEffect =>
      batch.every((publish) => publish.deduplicationId !== undefined) ? "repeatable" : "once";
    if (publishes.length === 1) {
      const publish = publishes[0]!;
      const response = await this.#call("publish", effect([publish]), () => client.publishJSON(publish));
      return [{ id: response.messageId, deduplicated: response.deduplicated === true }];
    }
    const results: EnqueueResult[] = [];
    for (let start = 0; start < publishes.length; start += BATCH_SIZE) {
      const batch = publishes.slice(start, start + BATCH_SIZE);
      let responses: unknown;
      try {
        responses = await this.#call("batch", effect(batch), () => client.batchJSON(batch));
      } catch (error) {
        throw start > 0 ? partlyStored(error, start, publishes.length) : error;
      }
      for (const response of responses as Array<{ messageId: string; deduplicated?: boolean }>) {
        results.push({ id: response.messageId, deduplicated: response.deduplicated === true });
      }
    }
    return results;
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    const current = await this.#current(id);
    if (!current) {
      // Logs may lag behind a publish: a message still in flight is found directly.
      const message = await this.#message(id);
      return message && toJobSnapshot(id, [], { message, ...this.#maxAttemptsOf(message.url) });
    }
    const snapshot = await this.#snapshotOfMessage(id, current.messageId, current.entries);
    if (!snapshot || current.messageId === id) return snapshot;
    return carriedSnapshot(snapshot, current.createdAt);
  }

  async cancel(id: string): Promise<boolean> {
    const current = await this.#current(id);
    const messageId = current?.messageId ?? id;
    const latest = current?.entries[0];
    if (latest && DONE.has(latest.state)) return false;
    // A child's result record: the job is completed.
    if (current && current.messageId !== id && isResultRecord(current.entries)) return false;
    try {
      const messages = this.#api().messages;
      await this.#call("messages.cancel", "repeatable", () => messages.cancel(messageId));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * Publishes a dead-lettered job again, with a fresh attempt count, then removes its DLQ entry. Not
   * `dlq.retry`: that republishes under a new message id and nothing would carry the Switchyard id to
   * the handler; here the delivery URL carries it (`&retry=<id>`, covered by the signature).
   */
  async retry(id: string): Promise<boolean> {
    const client = this.#api();
    let deadLetter = await this.#deadLetter({ messageId: id });
    if (!deadLetter) {
      const entries = await this.#logs({ messageIds: [id] });
      const url = entries[0]?.url;
      const target = url === undefined ? undefined : deliveryTarget(url);
      if (!url || !target) return false;
      deadLetter =
        (await this.#deadLetter({ url: destinationUrl(url, continuationTarget(target, id)) })) ??
        (await this.#deadLetter({ url: destinationUrl(url, { job: target.job, retryOf: id }) }));
    }
    if (!deadLetter) return false;
    const target = deliveryTarget(deadLetter.url);
    if (!target || deadLetterReport(deadLetter)?.status === "cancelled") return false;
    const job = this.#runtime?.jobs.get(target.job);
    if (!job) {
      throw new ConfigError(`retry(${id}): job "${target.job}" is not registered with this client`);
    }
    // A job that failed in a continuation starts again from its steps, at attempt 1.
    const carried =
      target.run === undefined
        ? undefined
        : parseCarriedBody(parseStoredBody(deadLetter.body, deadLetter.bodyBase64));
    const again: DeliveryTarget =
      carried?.switchyard === "continuation"
        ? continuationTarget(target, id)
        : { job: target.job, retryOf: id };
    const settings = jobMessageSettings(job, this.#publishContext, { retryOf: id });
    const flowControl =
      deadLetter.flowControlKey && job.concurrency !== undefined
        ? { key: deadLetter.flowControlKey, parallelism: job.concurrency }
        : settings.flowControl;
    const republish = {
      ...settings,
      // Where the failed message went (the app may have moved since), with the same body bytes.
      url: destinationUrl(deadLetter.url, again),
      body:
        carried?.switchyard === "continuation"
          ? JSON.stringify({ ...carried, attempt: 1 })
          : (storedBodyText(deadLetter.body, deadLetter.bodyBase64) ?? ""),
      headers: { "Content-Type": "application/json", ...storedTraceHeaders(deadLetter.header) },
      ...(flowControl ? { flowControl } : {}),
      // Two concurrent retry(id) calls publish once.
      deduplicationId: `${this.#keys.namespace}.retry.${deadLetter.dlqId}`,
    };
    await this.#call("publish", "repeatable", () => client.publish(republish));
    try {
      await this.#call("dlq.delete", "repeatable", () => client.dlq.delete(deadLetter.dlqId));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    return true;
  }

  async listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    const label = this.#labelOf(options.job);
    const failed: JobSnapshot[] = [];
    let cursor: string | undefined;
    const dlq = this.#api().dlq;
    do {
      const request = {
        filter: { label },
        ...(cursor ? { cursor } : {}),
        count: Math.min(100, Math.max(options.limit, 1)),
      };
      const page = await this.#call("dlq.listMessages", "read", () => dlq.listMessages(request));
      for (const message of page.messages as DeadLetter[]) {
        const snapshot = toJobSnapshotFromDeadLetter(message);
        if (snapshot?.state === "failed") failed.push(snapshot);
        if (failed.length >= options.limit) return failed;
      }
      cursor = page.cursor;
    } while (cursor);
    return failed;
  }

  counts(options: { job?: string }): Promise<JobCounts> {
    return this.#listing.counts(this.#labelOf(options.job));
  }

  list(options: { state: JobState; job?: string; limit: number; cursor?: string }): Promise<JobPage> {
    return this.#listing.list({ ...options, label: this.#labelOf(options.job) });
  }

  async upsertSchedule(entry: ScheduleEntry): Promise<void> {
    const job = this.#runtime?.jobs.get(entry.job);
    if (!job) throw new ConfigError(`schedule "${entry.id}": job "${entry.job}" is not registered`);
    const schedules = this.#api().schedules;
    const request = createScheduleRequest(entry, job, this.#publishContext);
    // Creating with an existing id replaces the schedule: repeating it cannot duplicate anything.
    await this.#call("schedules.create", "repeatable", () => schedules.create(request));
  }

  async removeSchedule(id: string): Promise<boolean> {
    const schedules = this.#api().schedules;
    const scheduleId = this.#keys.scheduleId(id);
    try {
      await this.#call("schedules.get", "read", () => schedules.get(scheduleId));
      await this.#call("schedules.delete", "repeatable", () => schedules.delete(scheduleId));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async listSchedules(): Promise<ScheduleEntry[]> {
    const api = this.#api().schedules;
    const schedules = await this.#call("schedules.list", "read", () => api.list());
    return schedules
      .map((schedule) => scheduleEntryOf(schedule, this.#keys))
      .filter((entry) => entry !== undefined);
  }

  handler(): (request: Request) => Promise<Response> {
    this.#handler ??= this.#refusedOnceClosed(
      createDeliveryHandler({
        handlerUrl: this.#options.url,
        receiver: new Receiver({
          currentSigningKey: this.#options.currentSigningKey,
          nextSigningKey: this.#options.nextSigningKey,
          devMode: false,
        }),
        clockToleranceSeconds: this.#options.clockToleranceSeconds ?? 0,
        runtime: () => {
          if (!this.#runtime) throw new ConfigError("the qstash backend is not attached to a client");
          return this.#runtime;
        },
        maxMessageBytes: this.#options.maxMessageBytes,
        carryOn: (message) => this.#carryOn(message),
        cancelRequested: async (messageId) => {
          const [latest] = await this.#logs({ messageIds: [messageId] });
          return latest !== undefined && CANCELLED.has(latest.state);
        },
      }),
    );
    return this.#handler;
  }

  /**
   * Nothing is held open (each API call is a plain HTTP request, and there is no worker; core refuses
   * every later call): the handler answers later deliveries with 503, which QStash retries after its
   * default backoff, so they run where a client is still open.
   */
  async close(): Promise<void> {
    this.#closed = true;
  }

  // ---- internal ----

  /**
   * Publishes a continuation (or a child's result record) to the job's `&run=<id>` URL, with the
   * job's settings and the retries left to the attempt it carries. A continuation due later than
   * the plan's longest delay is published for that longest delay: its delivery finds the sleep not
   * over and suspends again.
   */
  async #carryOn(message: CarriedMessage): Promise<void> {
    const job = this.#runtime?.jobs.get(message.target.job);
    if (!job) throw new ConfigError(`job "${message.target.job}" is not registered with this client`);
    const settings = jobMessageSettings(job, this.#publishContext);
    const publish: JobPublishRequest = {
      ...settings,
      url: destinationUrl(this.#options.url, message.target),
      retries:
        message.body.switchyard === "result" ? 0 : Math.max(0, job.retry.maxAttempts - message.body.attempt),
      body: message.body,
      deduplicationId: `${this.#keys.namespace}.${escapeId(message.deduplicationId)}`,
      ...(message.traceContext ? { headers: traceHeaders(message.traceContext) } : {}),
    };
    const now = Date.now();
    if (message.notBefore !== undefined && message.notBefore > now) {
      // QStash delays have one-second resolution: never early, and never past the plan's longest delay.
      const due = Math.ceil(message.notBefore / 1_000);
      publish.notBefore = Math.min(due, Math.floor((now + this.#options.maxDelayMs) / 1_000));
    }
    const client = this.#api();
    await this.#call("publish", "repeatable", () => client.publishJSON(publish));
  }

  /**
   * The message that holds job `id` now, with its log: the job's first message, or once that one is
   * settled, the newest of its continuations (`&run=<id>`) and of its copies published by retry(id).
   * Undefined when QStash has no log of `id` yet.
   */
  async #current(
    id: string,
  ): Promise<{ messageId: string; entries: LogRecord[]; createdAt?: Date } | undefined> {
    const entries = await this.#logs({ messageIds: [id] });
    const latest = entries[0];
    if (!latest) return undefined;
    const own = { messageId: id, entries };
    const target = deliveryTarget(latest.url);
    if (!target || !SETTLED.has(latest.state)) return own;
    const candidates = [await this.#newest(destinationUrl(latest.url, continuationTarget(target, id)))];
    if (latest.state === "FAILED") candidates.push(await this.#republished(id, latest.url));
    const newest = candidates
      .filter((candidate) => candidate !== undefined)
      .sort((a, b) => createdTime(b.entries) - createdTime(a.entries))[0];
    if (!newest) return own;
    return { ...newest, createdAt: new Date(createdTime(entries)) };
  }

  /**
   * The message last published to `url`, with its log. Not the one with the newest log entry: a
   * delivery publishes its continuation before it answers, so the continuation is created before
   * the message it follows is logged DELIVERED.
   */
  async #newest(url: string): Promise<{ messageId: string; entries: LogRecord[] } | undefined> {
    const entries = await this.#logs({ filter: { url } });
    let newest: { messageId: string; created: number } | undefined;
    for (const entry of entries) {
      if (entry.state !== "CREATED" || (newest && newest.created >= entry.time)) continue;
      newest = { messageId: entry.messageId, created: entry.time };
    }
    const messageId = newest?.messageId ?? entries[0]?.messageId;
    if (messageId === undefined) return undefined;
    return { messageId, entries: entries.filter((entry) => entry.messageId === messageId) };
  }

  #api(): Client {
    this.#client ??= new Client({
      token: this.#options.token,
      ...(this.#options.baseUrl === undefined ? {} : { baseUrl: this.#options.baseUrl }),
      // Retried here instead (qstash-request.ts), where each try's failure is known.
      retry: false,
      devMode: false,
    });
    return this.#client;
  }

  #call<T>(operation: string, effect: CallEffect, run: () => Promise<T>): Promise<T> {
    return callQStash({ operation, effect }, { target: this.#target, retry: this.#options.retry }, run);
  }

  #refusedOnceClosed(
    handler: (request: Request) => Promise<Response>,
  ): (request: Request) => Promise<Response> {
    return (request) =>
      this.#closed
        ? Promise.resolve(jsonResponse(503, { error: "this Switchyard client is closed" }))
        : handler(request);
  }

  /** The DLQ and log label of the namespace's messages, or of one job's. */
  #labelOf(job: string | undefined): string {
    return job === undefined ? this.#keys.label : this.#keys.jobLabel(job);
  }

  #maxAttemptsOf(url: string): { maxAttempts?: number } {
    const job = this.#runtime?.jobs.get(deliveryTarget(url)?.job ?? "");
    return job ? { maxAttempts: job.retry.maxAttempts } : {};
  }

  /** The snapshot of job `id` from the log of message `messageId` (the job's own or its republished copy). */
  async #snapshotOfMessage(
    id: string,
    messageId: string,
    entries: ReadonlyArray<LogRecord>,
  ): Promise<JobSnapshot | undefined> {
    const latest = entries[0]!;
    const extras: { message?: Message; deadLetter?: DeadLetter; maxAttempts?: number } = this.#maxAttemptsOf(
      latest.url,
    );
    if (latest.state === "CREATED") {
      const message = await this.#message(messageId);
      if (message) extras.message = message;
    } else if (latest.state === "FAILED") {
      const deadLetter = await this.#deadLetter({ messageId });
      if (deadLetter) extras.deadLetter = deadLetter;
    }
    return toJobSnapshot(id, entries, extras);
  }

  /** The newest message published by `retry(id)` for job `id`, with its log, if there is one. */
  async #republished(
    id: string,
    url: string,
  ): Promise<{ messageId: string; entries: LogRecord[] } | undefined> {
    const target = deliveryTarget(url);
    if (!target) return undefined;
    return this.#newest(destinationUrl(url, { job: target.job, retryOf: id }));
  }

  async #logs(request: { messageIds: string[] } | { filter: { url: string } }): Promise<LogRecord[]> {
    const client = this.#api();
    const { logs } = await this.#call("logs", "read", () => client.logs({ ...request, count: LOG_PAGE }));
    return logs as LogRecord[];
  }

  async #message(id: string): Promise<Message | undefined> {
    const messages = this.#api().messages;
    try {
      return await this.#call("messages.get", "read", () => messages.get(id));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async #deadLetter(filter: { messageId: string } | { url: string }): Promise<DeadLetter | undefined> {
    const dlq = this.#api().dlq;
    const { messages } = await this.#call("dlq.listMessages", "read", () =>
      dlq.listMessages({ filter, count: 1 }),
    );
    return messages[0] as DeadLetter | undefined;
  }
}

/** A failed batch after earlier batches of the same enqueueMany were stored. */
function partlyStored(error: unknown, stored: number, total: number): unknown {
  const note = `the first ${stored} of ${total} jobs were stored before this failure`;
  if (error instanceof BackendUnavailableError) {
    return new BackendUnavailableError("qstash", `${error.message} (${note})`, {
      cause: error.cause,
      stored: "unknown",
    });
  }
  if (error instanceof Error) error.message = `${error.message} (${note})`;
  return error;
}

/** Where the continuations of job `id` go: its job's URL with `&run=<id>` (and the child mark). */
function continuationTarget(target: DeliveryTarget, id: string): DeliveryTarget & { run: string } {
  return { job: target.job, run: id, ...(target.child ? { child: true as const } : {}) };
}

/** When a message was created, from its log (newest entry first). */
function createdTime(entries: ReadonlyArray<LogRecord>): number {
  return (entries.findLast((entry) => entry.state === "CREATED") ?? entries.at(-1))?.time ?? 0;
}

/** True when the message these log entries belong to is a child's result record. */
function isResultRecord(entries: ReadonlyArray<LogRecord>): boolean {
  const body = entries.find((entry) => entry.body !== undefined)?.body;
  const value = parseStoredBody(undefined, body) ?? parseStoredBody(body);
  return parseCarriedBody(value)?.switchyard === "result";
}
