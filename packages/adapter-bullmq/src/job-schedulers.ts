import type { JobDefinition, ScheduleEntry } from "@switchyard/core";
import type { JobsOptions, Queue, RepeatOptions } from "bullmq";
import type { Redis } from "ioredis";
import { schedulePayloadOf, scheduleTemplateData } from "./schedule-payload.js";

/**
 * The field of a BullMQ job scheduler's hash (`<prefix>:<job>:repeat:<id>`) that marks a schedule
 * declared in `defineJob`. BullMQ rewrites the hash on each upsert (dropping the field: an imperative
 * upsert of the same id makes the schedule imperative), leaves it alone when a run plans the next one,
 * and deletes the hash with the schedule. It ignores fields it does not know.
 */
const DECLARED_FIELD = "switchyard:declared";

/** Sets the mark only on a scheduler that exists: one removed meanwhile is not brought back as a stub. */
const MARK_DECLARED = `
if redis.call("EXISTS", KEYS[1]) == 1 then redis.call("HSET", KEYS[1], ARGV[1], "1") end
`;

/**
 * Switchyard schedules as BullMQ job schedulers on the job's queue. Schedule ids are global: storing
 * an id for one job removes it from the client's other jobs.
 */
export class JobSchedulers {
  readonly #queue: (name: string) => Queue;
  /** The jobs whose queues may hold schedulers. */
  readonly #jobNames: () => Promise<string[]>;
  /** The connection the client's calls (and the queues) use. */
  readonly #redis: () => Redis;

  constructor(options: {
    queue: (name: string) => Queue;
    jobNames: () => Promise<string[]>;
    redis: () => Redis;
  }) {
    this.#queue = options.queue;
    this.#jobNames = options.jobNames;
    this.#redis = options.redis;
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
        .map((name) => this.#queue(name).removeJobScheduler(entry.id)),
    );
    const queue = this.#queue(job.name);
    await queue.upsertJobScheduler(entry.id, repeat, {
      name: job.name,
      data: scheduleTemplateData(entry.payload),
      opts,
    });
    if (declared) await this.#redis().eval(MARK_DECLARED, 1, schedulerKey(queue, entry.id), DECLARED_FIELD);
  }

  async remove(id: string): Promise<boolean> {
    const removed = await Promise.all(
      (await this.#jobNames()).map((name) => this.#queue(name).removeJobScheduler(id)),
    );
    return removed.some(Boolean);
  }

  async list(): Promise<ScheduleEntry[]> {
    const perJob = await Promise.all((await this.#jobNames()).map((name) => this.#listOf(name)));
    return perJob.flat();
  }

  async #listOf(name: string): Promise<ScheduleEntry[]> {
    const queue = this.#queue(name);
    const schedulers = await queue.getJobSchedulers(0, -1, true);
    if (schedulers.length === 0) return [];
    const pipeline = this.#redis().pipeline();
    for (const scheduler of schedulers) pipeline.hget(schedulerKey(queue, scheduler.key), DECLARED_FIELD);
    const marks = (await pipeline.exec()) ?? [];
    return schedulers.map((scheduler, index) => {
      const template = scheduler.template;
      const entry: ScheduleEntry = {
        id: scheduler.key,
        job: name,
        payload: template && "data" in template ? schedulePayloadOf(template.data) : {},
        declared: marks[index]?.[1] === "1",
      };
      if (scheduler.pattern) entry.cron = scheduler.pattern;
      if (scheduler.tz) entry.timezone = scheduler.tz;
      if (scheduler.every) entry.everyMs = Number(scheduler.every);
      if (scheduler.next) entry.nextRunAt = new Date(Number(scheduler.next));
      return entry;
    });
  }
}

/** The hash of a job scheduler (BullMQ's `repeat` key, then the scheduler's id). */
function schedulerKey(queue: Queue, id: string): string {
  return `${queue.keys.repeat}:${id}`;
}
