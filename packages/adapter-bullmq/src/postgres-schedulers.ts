import type { JobDefinition, ScheduleEntry } from "@switchyard/core";
import type { JobsOptions, RepeatOptions } from "bullmq";
import type { PostgresQueue } from "./postgres-connections.js";
import type { PostgresStore } from "./postgres-store.js";
import { schedulePayloadOf, scheduleTemplateData } from "./schedule-payload.js";

/**
 * Switchyard schedules as BullMQ job schedulers on BullMQ's PostgreSQL backend: the same calls as on
 * Redis (job-schedulers.ts). A scheduler row has fixed columns, so the mark of a schedule declared in
 * `defineJob` lives in the adapter's `switchyard_declared_schedule` table instead of the scheduler's
 * hash. Schedule ids are global: storing an id for one job removes it from the client's other jobs.
 */
export class PostgresSchedulers {
  readonly #queue: (name: string) => PostgresQueue;
  readonly #jobNames: () => Promise<string[]>;
  readonly #store: PostgresStore;

  constructor(options: {
    queue: (name: string) => PostgresQueue;
    /** The jobs in scope: the client's, or every job in the schema for an operator's client. */
    jobNames: () => Promise<string[]>;
    store: PostgresStore;
  }) {
    this.#queue = options.queue;
    this.#jobNames = options.jobNames;
    this.#store = options.store;
  }

  async upsert(
    entry: ScheduleEntry,
    job: JobDefinition,
    opts: JobsOptions,
    declared: boolean,
  ): Promise<void> {
    const repeat: RepeatOptions =
      entry.cron !== undefined
        ? { pattern: entry.cron, tz: entry.timezone ?? "UTC" }
        : // First run one period from now (not at once, BullMQ's default for `every`).
          { every: entry.everyMs!, startDate: Date.now() + entry.everyMs! };
    await Promise.all(
      (await this.#jobNames())
        .filter((name) => name !== job.name)
        .map((name) => this.#remove(name, entry.id)),
    );
    await this.#queue(job.name).upsertJobScheduler(entry.id, repeat, {
      name: job.name,
      data: scheduleTemplateData(entry.payload),
      opts,
    });
    // An imperative upsert of a declared id makes it imperative, as on Redis.
    await this.#store.markDeclared(job.name, entry.id, declared);
  }

  async remove(id: string): Promise<boolean> {
    const removed = await Promise.all((await this.#jobNames()).map((name) => this.#remove(name, id)));
    return removed.some(Boolean);
  }

  async list(): Promise<ScheduleEntry[]> {
    const perJob = await Promise.all((await this.#jobNames()).map((name) => this.#listOf(name)));
    return perJob.flat();
  }

  async #remove(name: string, id: string): Promise<boolean> {
    const removed = await this.#queue(name).removeJobScheduler(id);
    if (removed) await this.#store.markDeclared(name, id, false);
    return removed;
  }

  async #listOf(name: string): Promise<ScheduleEntry[]> {
    const queue = this.#queue(name);
    const schedulers = await queue.getJobSchedulers(0, -1, true);
    if (schedulers.length === 0) return [];
    const declared = await this.#store.declaredOf(name);
    return schedulers.map((scheduler) => {
      const template = scheduler.template;
      const entry: ScheduleEntry = {
        id: scheduler.key,
        job: name,
        payload: template && "data" in template ? schedulePayloadOf(template.data) : {},
        declared: declared.has(scheduler.key),
      };
      if (scheduler.pattern) entry.cron = scheduler.pattern;
      if (scheduler.tz) entry.timezone = scheduler.tz;
      if (scheduler.every) entry.everyMs = Number(scheduler.every);
      if (scheduler.next) entry.nextRunAt = new Date(Number(scheduler.next));
      return entry;
    });
  }
}
