import {
  type CreateScheduleOptions,
  generateFriendlyId,
  stringifyIO,
  type UpdateScheduleOptions,
} from "@trigger.dev/core/v3";
import { RunInputError } from "./create-run.js";
import { CronExpression } from "./cron-expression.js";
import type { RunEngine } from "./run-engine.js";
import type { RunRecord } from "./run-record.js";
import type { ScheduleRecord } from "./schedule-record.js";
import { findTaskManifest, listTaskManifests } from "./task-catalog.js";
import type { EmulatedEnvironmentType } from "./types.js";

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Cron schedules and their ticks. Each active schedule has one pending occurrence (`nextRun`);
 * when it fires, the task is triggered with the scheduled-task payload and the next occurrence
 * is computed from the later of the fired time and now, so missed ticks are skipped, not caught
 * up (W:internal-packages/schedule-engine/src/engine/index.ts triggerScheduledTask and
 * registerNextTaskScheduleInstance). Cron windows (`window`) are stored but not applied.
 */
export class ScheduleEngine {
  readonly #schedules = new Map<string, ScheduleRecord>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #runs: RunEngine;
  readonly #environmentType: EmulatedEnvironmentType;
  #closed = false;

  constructor(runs: RunEngine, environmentType: EmulatedEnvironmentType) {
    this.#runs = runs;
    this.#environmentType = environmentType;
  }

  /** The scheduled task's manifest, if the deployed worker version has it. */
  #deployedManifest(taskIdentifier: string) {
    return this.#runs.isDeployed(taskIdentifier) ? findTaskManifest(taskIdentifier) : undefined;
  }

  get(id: string): ScheduleRecord | undefined {
    return this.#schedules.get(id);
  }

  list(): ScheduleRecord[] {
    return [...this.#schedules.values()];
  }

  /**
   * `schedules.create`: attaches a cron to a scheduled task. "You can only create one schedule
   * with this key. If you use it twice, the second call will update the schedule"
   * (C:schemas/api.js CreateScheduleOptions.deduplicationKey).
   */
  create(options: CreateScheduleOptions): ScheduleRecord {
    const existing = this.list().find(
      (schedule) => schedule.type === "IMPERATIVE" && schedule.deduplicationKey === options.deduplicationKey,
    );
    if (existing) return this.update(existing.id, options);
    const schedule = this.#validated({
      id: generateFriendlyId("sched"),
      type: "IMPERATIVE",
      taskIdentifier: options.task,
      cron: options.cron,
      timezone: options.timezone ?? "UTC",
      description: options.cron,
      active: true,
      deduplicationKey: options.deduplicationKey,
      userProvidedDeduplicationKey: true,
      externalId: options.externalId,
      window: options.window,
      createdAt: new Date(),
    });
    this.#schedules.set(schedule.id, schedule);
    this.#arm(schedule);
    return schedule;
  }

  /** `schedules.update`; declarative schedules change only with their task's `cron`. */
  update(id: string, options: UpdateScheduleOptions): ScheduleRecord {
    const current = this.#imperative(id);
    const updated = this.#validated({
      ...current,
      taskIdentifier: options.task,
      cron: options.cron,
      description: options.cron,
      timezone: options.timezone ?? "UTC",
      externalId: options.externalId,
      window: options.window,
    });
    this.#schedules.set(id, updated);
    this.#arm(updated);
    return updated;
  }

  setActive(id: string, active: boolean): ScheduleRecord {
    const schedule = this.#imperative(id);
    schedule.active = active;
    this.#arm(schedule);
    return schedule;
  }

  delete(id: string): void {
    this.#imperative(id);
    this.#disarm(id);
    this.#schedules.delete(id);
  }

  /**
   * Creates, updates or removes DECLARATIVE schedules to match the `cron` of every
   * `schedules.task` in the catalog (of the deployed version, once {@link RunEngine.deploy} was
   * called), as a deploy does. Tasks whose `environments` list excludes the emulated environment
   * get none.
   */
  syncDeclarative(): void {
    const wanted = new Map<string, { cron: string; timezone: string; window?: string }>();
    for (const manifest of listTaskManifests()) {
      if (!this.#runs.isDeployed(manifest.id)) continue;
      const schedule = manifest.schedule;
      if (manifest.triggerSource !== "schedule" || !schedule?.cron) continue;
      if (schedule.environments && !schedule.environments.includes(this.#environmentType)) continue;
      wanted.set(manifest.id, { cron: schedule.cron, timezone: schedule.timezone, window: schedule.window });
    }
    for (const schedule of this.list()) {
      if (schedule.type === "DECLARATIVE" && !wanted.has(schedule.taskIdentifier)) {
        this.#disarm(schedule.id);
        this.#schedules.delete(schedule.id);
      }
    }
    for (const [taskIdentifier, declared] of wanted) {
      const current = this.list().find(
        (s) => s.type === "DECLARATIVE" && s.taskIdentifier === taskIdentifier,
      );
      if (current && current.cron === declared.cron && current.timezone === declared.timezone) continue;
      const schedule = this.#validated({
        id: current?.id ?? generateFriendlyId("sched"),
        type: "DECLARATIVE",
        taskIdentifier,
        cron: declared.cron,
        timezone: declared.timezone,
        description: declared.cron,
        active: true,
        deduplicationKey: `declarative:${taskIdentifier}`,
        userProvidedDeduplicationKey: false,
        window: declared.window,
        createdAt: current?.createdAt ?? new Date(),
      });
      this.#schedules.set(schedule.id, schedule);
      this.#arm(schedule);
    }
  }

  /**
   * Fires the schedule's pending occurrence now (or `at`), as the engine does when it comes due:
   * triggers the task with `{ scheduleId, type, timestamp, lastTimestamp, externalId, timezone,
   * upcoming }`, serialised with `stringifyIO` so dates survive (C:schemas/api.js
   * ScheduledTaskPayload; W:internal-packages/schedule-engine/src/engine/index.ts), then moves to
   * the next occurrence.
   */
  async fire(id: string, at?: Date): Promise<RunRecord> {
    const schedule = this.#schedules.get(id);
    if (!schedule) throw new RunInputError(`Schedule ${id} not found`, 404);
    const timestamp = at ?? schedule.nextRun;
    if (!timestamp) throw new RunInputError(`Schedule ${id} is inactive and has no pending occurrence`, 422);
    const cron = new CronExpression(schedule.cron, schedule.timezone);
    const next = cron.next(new Date(Math.max(Date.now(), timestamp.getTime())));
    const payload = {
      scheduleId: schedule.id,
      type: schedule.type,
      timestamp,
      lastTimestamp: schedule.lastTimestamp,
      externalId: schedule.externalId,
      timezone: schedule.timezone,
      upcoming: next ? [next, ...cron.upcoming(next, 9)] : [],
    };
    schedule.lastTimestamp = timestamp;
    schedule.nextRun = next;
    this.#arm(schedule);
    const packet = await stringifyIO(payload);
    const { run } = await this.#runs.trigger({
      taskIdentifier: schedule.taskIdentifier,
      body: { payload: packet.data, options: { payloadType: packet.dataType } },
      scheduleId: schedule.id,
    });
    return run;
  }

  close(): void {
    this.#closed = true;
    for (const id of [...this.#timers.keys()]) this.#disarm(id);
  }

  #imperative(id: string): ScheduleRecord {
    const schedule = this.#schedules.get(id);
    if (!schedule) throw new RunInputError(`Schedule ${id} not found`, 404);
    if (schedule.type === "DECLARATIVE") {
      throw new RunInputError(`Schedule ${id} is declarative: change the cron on the task instead`, 422);
    }
    return schedule;
  }

  /** Checks the task is a scheduled task and the cron/timezone parse; sets `nextRun`. */
  #validated(schedule: ScheduleRecord): ScheduleRecord {
    const manifest = this.#deployedManifest(schedule.taskIdentifier);
    if (!manifest) throw new RunInputError(`Task "${schedule.taskIdentifier}" not found`, 422);
    if (manifest.triggerSource !== "schedule") {
      throw new RunInputError(
        `Task "${schedule.taskIdentifier}" is not a scheduled task (use schedules.task)`,
        422,
      );
    }
    let cron: CronExpression;
    try {
      cron = new CronExpression(schedule.cron, schedule.timezone);
    } catch (error) {
      throw new RunInputError(error instanceof Error ? error.message : String(error), 422);
    }
    return { ...schedule, nextRun: cron.next(new Date()) };
  }

  #arm(schedule: ScheduleRecord): void {
    this.#disarm(schedule.id);
    if (this.#closed || !schedule.active || !schedule.nextRun) return;
    const due = schedule.nextRun;
    const wait = Math.min(Math.max(0, due.getTime() - Date.now()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.#timers.delete(schedule.id);
      if (schedule.nextRun !== due) return;
      if (due.getTime() > Date.now()) this.#arm(schedule);
      else void this.fire(schedule.id, due).catch(() => {});
    }, wait);
    timer.unref();
    this.#timers.set(schedule.id, timer);
  }

  #disarm(id: string): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }
}
