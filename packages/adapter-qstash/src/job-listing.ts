import { ConfigError, type JobCounts, type JobPage, type JobSnapshot, type JobState } from "@switchyard/core";
import { deliveryTarget } from "./destination-url.js";
import {
  type DeadLetter,
  type LogRecord,
  toJobSnapshot,
  toJobSnapshotFromDeadLetter,
} from "./job-snapshot.js";

/**
 * What QStash can say about jobs past their delivery, the only ones it lists:
 * - failed: the dead-letter queue (`GET /v2/dlq`, filtered by label, cursor pages);
 * - completed: the logs (`GET /v2/events?state=DELIVERED`, filtered by label, cursor pages), for as
 *   long as QStash keeps them (a plan-dependent retention).
 * A message waiting, delayed or in flight can only be read by its id (`GET /v2/messages/{id}`):
 * QStash has no call that lists or counts them.
 */
export const QSTASH_JOB_STATES: ReadonlyArray<JobState> = ["completed", "failed"];

/** Dead letters per `GET /v2/dlq` call (the SDK's bulk default; no maximum is documented). */
const DLQ_PAGE = 100;
/** Log entries per `GET /v2/events` call: "Max 1000" (qstash-js LogsRequest.count). */
const LOG_PAGE = 1_000;
/** Messages whose logs one `GET /v2/events?messageIds=…` call reads (a job's log is a few entries). */
const LOG_BATCH = 50;

/** The QStash calls listing makes; the backend makes them with its retries and error mapping. */
export interface ListingApi {
  deadLetters(request: {
    label: string;
    count: number;
    cursor?: string;
  }): Promise<{ messages: DeadLetter[]; cursor?: string }>;
  logs(
    request:
      | { filter: { label: string; state: "DELIVERED" }; count: number; cursor?: string }
      | { messageIds: string[]; count: number },
  ): Promise<{ logs: LogRecord[]; cursor?: string }>;
  /** The job's retry.maxAttempts when it is registered with this client. */
  maxAttemptsOf(job: string): number | undefined;
}

export class JobListing {
  readonly #api: ListingApi;

  constructor(api: ListingApi) {
    this.#api = api;
  }

  /** Counts by paging: one call per 100 dead letters, one per 1,000 `DELIVERED` log entries. */
  async counts(label: string): Promise<JobCounts> {
    let failed = 0;
    let cursor: string | undefined;
    do {
      const page = await this.#api.deadLetters({ label, count: DLQ_PAGE, ...(cursor ? { cursor } : {}) });
      failed += page.messages.filter(
        (letter) => toJobSnapshotFromDeadLetter(letter)?.state === "failed",
      ).length;
      cursor = page.cursor || undefined;
    } while (cursor);
    const delivered = new Set<string>();
    do {
      const page = await this.#api.logs({
        filter: { label, state: "DELIVERED" },
        count: LOG_PAGE,
        ...(cursor ? { cursor } : {}),
      });
      for (const entry of page.logs) delivered.add(entry.messageId);
      cursor = page.cursor || undefined;
    } while (cursor);
    return { failed, completed: delivered.size };
  }

  /**
   * One page of failed or completed jobs, newest first. Each QStash call asks for no more than the
   * page still needs, so the cursor QStash returns is where the next page starts; entries that are
   * not such jobs (a handler-cancelled dead letter) only make the page shorter.
   */
  async list(options: { state: JobState; label: string; limit: number; cursor?: string }): Promise<JobPage> {
    const cursor = decodeCursor(options.cursor, options.state);
    return options.state === "failed"
      ? this.#failed(options.label, options.limit, cursor)
      : this.#completed(options.label, options.limit, cursor);
  }

  async #failed(label: string, limit: number, from: string | undefined): Promise<JobPage> {
    const jobs: JobSnapshot[] = [];
    let cursor = from;
    do {
      const count = Math.min(DLQ_PAGE, limit - jobs.length);
      const page = await this.#api.deadLetters({ label, count, ...(cursor ? { cursor } : {}) });
      for (const letter of page.messages) {
        const snapshot = toJobSnapshotFromDeadLetter(letter);
        if (snapshot?.state === "failed") jobs.push(snapshot);
      }
      cursor = page.cursor || undefined;
    } while (cursor && jobs.length < limit);
    return pageOf(jobs, "failed", cursor);
  }

  /** Delivered messages from the logs, each read with its whole log for attempts and payload. */
  async #completed(label: string, limit: number, from: string | undefined): Promise<JobPage> {
    const messageIds: string[] = [];
    let cursor = from;
    do {
      const count = Math.min(LOG_PAGE, limit - messageIds.length);
      const page = await this.#api.logs({
        filter: { label, state: "DELIVERED" },
        count,
        ...(cursor ? { cursor } : {}),
      });
      for (const entry of page.logs)
        if (!messageIds.includes(entry.messageId)) messageIds.push(entry.messageId);
      cursor = page.cursor || undefined;
    } while (cursor && messageIds.length < limit);
    const jobs: JobSnapshot[] = [];
    for (let start = 0; start < messageIds.length; start += LOG_BATCH) {
      const batch = messageIds.slice(start, start + LOG_BATCH);
      const { logs } = await this.#api.logs({ messageIds: batch, count: LOG_PAGE });
      for (const messageId of batch) {
        const entries = logs.filter((entry) => entry.messageId === messageId);
        const target = entries[0] && deliveryTarget(entries[0].url);
        if (!target) continue;
        const maxAttempts = this.#api.maxAttemptsOf(target.job);
        const snapshot = toJobSnapshot(target.retryOf ?? messageId, entries, {
          ...(maxAttempts === undefined ? {} : { maxAttempts }),
        });
        if (snapshot?.state === "completed") jobs.push(snapshot);
      }
    }
    return pageOf(jobs, "completed", cursor);
  }
}

/** Cursors carry the state they page through, so one passed to another state's list is refused. */
function pageOf(jobs: JobSnapshot[], state: JobState, cursor: string | undefined): JobPage {
  return cursor ? { jobs, cursor: `${state}:${cursor}` } : { jobs };
}

function decodeCursor(cursor: string | undefined, state: JobState): string | undefined {
  if (cursor === undefined) return undefined;
  const prefix = `${state}:`;
  if (!cursor.startsWith(prefix) || cursor.length === prefix.length) {
    throw new ConfigError(`list(): cursor "${cursor}" is not a cursor of a qstash list of ${state} jobs`);
  }
  return cursor.slice(prefix.length);
}
