import {
  type Backend,
  ConfigError,
  type EnqueueResult,
  type JobSnapshot,
  type ScheduleEntry,
} from "@switchyard/core";
import type { EnqueueRequest, JobRuntime } from "@switchyard/core/adapter";
import { Client, type Message, Receiver } from "@upstash/qstash";
import { AccountKeys, assertNamespace } from "./account-keys.js";
import { createDeliveryHandler } from "./delivery-handler.js";
import { assertHandlerUrl, deliveryTarget, destinationUrl } from "./destination-url.js";
import {
  type DeadLetter,
  deadLetterReport,
  type LogRecord,
  snapshotFromDeadLetter,
  snapshotFromLogs,
} from "./job-snapshot.js";
import { jobMessageSettings, jobPublishRequest, type PublishContext } from "./publish-request.js";
import { qstashCapabilities } from "./qstash-capabilities.js";
import { isNotFound } from "./qstash-not-found.js";
import { DEFAULT_NAMESPACE, type QStashBackendOptions } from "./qstash-options.js";
import { createScheduleRequest, scheduleEntryOf } from "./schedule-entry.js";
import { storedBodyText } from "./stored-body.js";

/** Messages per `POST /v2/batch` call; a longer enqueueMany is sent in several batches, in order. */
const BATCH_SIZE = 100;
/** Log entries read per `GET /v2/events` call (the API's maximum). */
const LOG_PAGE = 1_000;

const TERMINAL: ReadonlySet<string> = new Set(["DELIVERED", "FAILED", "CANCELLED", "CANCELED"]);
/** Cancelled while its call runs: the call ends on its own and is not retried. */
const CANCELLING: ReadonlySet<string> = new Set(["CANCEL_REQUESTED"]);

/**
 * The Upstash QStash backend: jobs are published to QStash, which calls `jobs.handler()` at `url` for
 * each attempt. Nothing runs in the process that enqueues, and there is no worker to start.
 */
export function qstash(options: QStashBackendOptions): Backend {
  return new QStashBackend(options);
}

class QStashBackend implements Backend {
  readonly capabilities = qstashCapabilities;
  readonly #options: QStashBackendOptions;
  readonly #keys: AccountKeys;
  readonly #publishContext: PublishContext;
  #runtime?: JobRuntime;
  #client?: Client;
  #handler?: (request: Request) => Promise<Response>;
  #closed = false;

  constructor(options: QStashBackendOptions) {
    const where = "qstash()";
    const missing = (["token", "currentSigningKey", "nextSigningKey", "url"] as const).filter(
      (name) => typeof options?.[name] !== "string" || options[name].trim() === "",
    );
    if (missing.length > 0) throw new ConfigError(`${where}: ${missing.join(", ")} required`);
    assertHandlerUrl(options.url, where);
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    assertNamespace(namespace, where);
    if (options.clockToleranceSeconds !== undefined && !(options.clockToleranceSeconds >= 0)) {
      throw new ConfigError(`${where}: clockToleranceSeconds must be a non-negative number`);
    }
    this.#options = options;
    this.#keys = new AccountKeys(namespace);
    this.#publishContext = { handlerUrl: options.url, keys: this.#keys };
  }

  attach(runtime: JobRuntime): void {
    if (this.#runtime) throw new ConfigError("a qstash backend serves one client; call qstash() for each");
    this.#runtime = runtime;
  }

  async enqueue(requests: ReadonlyArray<EnqueueRequest>): Promise<EnqueueResult[]> {
    const client = this.#api();
    const now = Date.now();
    const publishes = requests.map((request) => jobPublishRequest(request, this.#publishContext, now));
    if (publishes.length === 1) {
      const response = await client.publishJSON(publishes[0]!);
      return [{ id: response.messageId, deduplicated: response.deduplicated === true }];
    }
    const results: EnqueueResult[] = [];
    for (let start = 0; start < publishes.length; start += BATCH_SIZE) {
      const responses = await client.batchJSON(publishes.slice(start, start + BATCH_SIZE));
      for (const response of responses as Array<{ messageId: string; deduplicated?: boolean }>) {
        results.push({ id: response.messageId, deduplicated: response.deduplicated === true });
      }
    }
    return results;
  }

  async get(id: string): Promise<JobSnapshot | undefined> {
    const entries = await this.#logs({ messageIds: [id] });
    if (entries.length === 0) {
      // Logs may lag behind a publish: a message still in flight is found directly.
      const message = await this.#message(id);
      return message && snapshotFromLogs(id, [], { message, ...this.#maxAttemptsOf(message.url) });
    }
    const latest = entries[0]!;
    if (latest.state === "FAILED") {
      const republished = await this.#republished(id, latest.url);
      if (republished) return this.#snapshotOfMessage(id, republished.messageId, republished.entries);
    }
    return this.#snapshotOfMessage(id, id, entries);
  }

  async cancel(id: string): Promise<boolean> {
    const entries = await this.#logs({ messageIds: [id] });
    let messageId = id;
    const latest = entries[0];
    if (latest?.state === "FAILED") {
      const republished = await this.#republished(id, latest.url);
      if (!republished || TERMINAL.has(republished.entries[0]?.state ?? "")) return false;
      messageId = republished.messageId;
    } else if (latest && (TERMINAL.has(latest.state) || CANCELLING.has(latest.state))) {
      return false;
    }
    try {
      await this.#api().messages.cancel(messageId);
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
      deadLetter = await this.#deadLetter({ url: destinationUrl(url, { job: target.job, retryOf: id }) });
    }
    if (!deadLetter) return false;
    const target = deliveryTarget(deadLetter.url);
    if (!target || deadLetterReport(deadLetter)?.status === "cancelled") return false;
    const job = this.#runtime?.jobs.get(target.job);
    if (!job) {
      throw new ConfigError(`retry(${id}): job "${target.job}" is not registered with this client`);
    }
    const settings = jobMessageSettings(job, this.#publishContext, { retryOf: id });
    const flowControl =
      deadLetter.flowControlKey && job.concurrency !== undefined
        ? { key: deadLetter.flowControlKey, parallelism: job.concurrency }
        : settings.flowControl;
    await client.publish({
      ...settings,
      // Where the failed message went (the app may have moved since), with the same body bytes.
      url: destinationUrl(deadLetter.url, { job: target.job, retryOf: id }),
      body: storedBodyText(deadLetter.body, deadLetter.bodyBase64) ?? "",
      headers: { "Content-Type": "application/json" },
      ...(flowControl ? { flowControl } : {}),
      // Two concurrent retry(id) calls publish once.
      deduplicationId: `${this.#keys.namespace}.retry.${deadLetter.dlqId}`,
    });
    try {
      await client.dlq.delete(deadLetter.dlqId);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    return true;
  }

  async listFailed(options: { job?: string; limit: number }): Promise<JobSnapshot[]> {
    const label = options.job === undefined ? this.#keys.label : this.#keys.jobLabel(options.job);
    const failed: JobSnapshot[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#api().dlq.listMessages({
        filter: { label },
        ...(cursor ? { cursor } : {}),
        count: Math.min(100, Math.max(options.limit, 1)),
      });
      for (const message of page.messages as DeadLetter[]) {
        const snapshot = snapshotFromDeadLetter(message);
        if (snapshot?.state === "failed") failed.push(snapshot);
        if (failed.length >= options.limit) return failed;
      }
      cursor = page.cursor;
    } while (cursor);
    return failed;
  }

  async upsertSchedule(entry: ScheduleEntry): Promise<void> {
    const job = this.#runtime?.jobs.get(entry.job);
    if (!job) throw new ConfigError(`schedule "${entry.id}": job "${entry.job}" is not registered`);
    await this.#api().schedules.create(createScheduleRequest(entry, job, this.#publishContext));
  }

  async removeSchedule(id: string): Promise<boolean> {
    const schedules = this.#api().schedules;
    const scheduleId = this.#keys.scheduleId(id);
    try {
      await schedules.get(scheduleId);
      await schedules.delete(scheduleId);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async listSchedules(): Promise<ScheduleEntry[]> {
    const schedules = await this.#api().schedules.list();
    return schedules
      .map((schedule) => scheduleEntryOf(schedule, this.#keys))
      .filter((entry) => entry !== undefined);
  }

  handler(): (request: Request) => Promise<Response> {
    this.#handler ??= createDeliveryHandler({
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
    });
    return this.#handler;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  // ---- internal ----

  #api(): Client {
    if (this.#closed) throw new ConfigError("this qstash backend is closed");
    this.#client ??= new Client({
      token: this.#options.token,
      ...(this.#options.baseUrl === undefined ? {} : { baseUrl: this.#options.baseUrl }),
      ...(this.#options.retry === undefined ? {} : { retry: this.#options.retry }),
      devMode: false,
    });
    return this.#client;
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
    return snapshotFromLogs(id, entries, extras);
  }

  /** The newest message published by `retry(id)` for job `id`, with its log, if there is one. */
  async #republished(
    id: string,
    url: string,
  ): Promise<{ messageId: string; entries: LogRecord[] } | undefined> {
    const target = deliveryTarget(url);
    if (!target) return undefined;
    const entries = await this.#logs({
      filter: { url: destinationUrl(url, { job: target.job, retryOf: id }) },
    });
    const newest = entries[0]?.messageId;
    if (newest === undefined) return undefined;
    return { messageId: newest, entries: entries.filter((entry) => entry.messageId === newest) };
  }

  async #logs(request: { messageIds: string[] } | { filter: { url: string } }): Promise<LogRecord[]> {
    const { logs } = await this.#api().logs({ ...request, count: LOG_PAGE });
    return logs as LogRecord[];
  }

  async #message(id: string): Promise<Message | undefined> {
    try {
      return await this.#api().messages.get(id);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async #deadLetter(filter: { messageId: string } | { url: string }): Promise<DeadLetter | undefined> {
    const { messages } = await this.#api().dlq.listMessages({ filter, count: 1 });
    return messages[0] as DeadLetter | undefined;
  }
}
