import { encodeBody, headerMap } from "./api-encoding.js";
import { type CronSchedule, parseCron } from "./cron-expression.js";
import type { EmulatorClock } from "./emulator-clock.js";
import { badRequest, notFound } from "./http-error.js";
import { newScheduleId } from "./id-generator.js";
import type { MessageState } from "./interfaces.js";
import type { MessageSpec } from "./publish-request.js";

export interface ScheduleRecord {
  scheduleId: string;
  cron: CronSchedule;
  /** Template of every message the schedule publishes. */
  spec: MessageSpec;
  /** `Upstash-Delay` applied to each published message, emulator ms. */
  delayMs?: number;
  createdAt: number;
  isPaused: boolean;
  lastScheduleTime?: number;
  nextScheduleTime?: number;
  /** Ids of the messages of the last tick. */
  lastMessageIds: string[];
  cancelTimer?: () => void;
}

/** Publishes one tick's message; returns its id. */
export type FireSchedule = (schedule: ScheduleRecord) => string;

/** Schedule ids: `[A-Za-z0-9._-]` (OA Upstash-Schedule-Id). */
const SCHEDULE_ID = /^[A-Za-z0-9._-]+$/;

/**
 * Cron schedules (qstash/features/schedules.mdx): each tick publishes a message carrying
 * `Upstash-Schedule-Id`; creating with an existing id overwrites the schedule; a paused schedule
 * skips its ticks. Ticks follow the emulator clock. Not emulated: the "up to 60 seconds" before
 * a new schedule is loaded (ticks are exact), and catch-up of missed ticks (there is none).
 */
export class ScheduleRegistry {
  private readonly schedules = new Map<string, ScheduleRecord>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly fire: FireSchedule,
    private readonly stateOf: (messageId: string) => MessageState | undefined,
  ) {}

  upsert(options: {
    scheduleId?: string;
    cron: string;
    spec: MessageSpec;
    delayMs?: number;
  }): ScheduleRecord {
    if (options.scheduleId !== undefined && !SCHEDULE_ID.test(options.scheduleId)) {
      throw badRequest(`invalid schedule id ${JSON.stringify(options.scheduleId)}`);
    }
    const cron = parseCron(options.cron);
    const scheduleId = options.scheduleId ?? newScheduleId();
    const previous = this.schedules.get(scheduleId);
    previous?.cancelTimer?.();
    const schedule: ScheduleRecord = {
      scheduleId,
      cron,
      spec: options.spec,
      ...(options.delayMs === undefined ? {} : { delayMs: options.delayMs }),
      createdAt: previous?.createdAt ?? this.clock.now(),
      isPaused: previous?.isPaused ?? false,
      lastMessageIds: previous?.lastMessageIds ?? [],
      ...(previous?.lastScheduleTime === undefined ? {} : { lastScheduleTime: previous.lastScheduleTime }),
    };
    this.schedules.set(scheduleId, schedule);
    this.arm(schedule, this.clock.now());
    return schedule;
  }

  get(scheduleId: string): ScheduleRecord {
    const schedule = this.schedules.get(scheduleId);
    if (!schedule) throw notFound(`schedule ${scheduleId} not found`);
    return schedule;
  }

  list(): ScheduleRecord[] {
    return [...this.schedules.values()];
  }

  delete(scheduleId: string): void {
    const schedule = this.get(scheduleId);
    schedule.cancelTimer?.();
    this.schedules.delete(scheduleId);
  }

  setPaused(scheduleId: string, paused: boolean): void {
    this.get(scheduleId).isPaused = paused;
  }

  clear(): void {
    for (const schedule of this.schedules.values()) schedule.cancelTimer?.();
    this.schedules.clear();
  }

  /** The `Schedule` object (QT:1230-1296, OA Schedule). */
  toApi(schedule: ScheduleRecord): Record<string, unknown> {
    const { spec } = schedule;
    const flow = spec.flowControl;
    const states: Record<string, string> = {};
    for (const id of schedule.lastMessageIds) states[id] = scheduleState(this.stateOf(id));
    return {
      scheduleId: schedule.scheduleId,
      cron: schedule.cron.expression,
      createdAt: Math.floor(schedule.createdAt),
      destination: spec.destination,
      method: spec.method,
      header: headerMap(spec.headers),
      ...encodeBody(spec.body),
      retries: spec.maxRetries,
      ...(schedule.delayMs === undefined ? {} : { delay: schedule.delayMs / 1000 }),
      ...(spec.callback ? { callback: spec.callback.url } : {}),
      ...(spec.failureCallback ? { failureCallback: spec.failureCallback.url } : {}),
      ...(spec.callerIp ? { callerIp: spec.callerIp } : {}),
      isPaused: schedule.isPaused,
      ...(spec.queueName ? { queueName: spec.queueName } : {}),
      ...(flow
        ? {
            flowControlKey: flow.key,
            ...(flow.parallelism === undefined ? {} : { parallelism: flow.parallelism }),
            ...(flow.rate === undefined ? {} : { rate: flow.rate, period: flow.periodMs / 1000 }),
          }
        : {}),
      ...(spec.retryDelayExpression ? { retryDelayExpression: spec.retryDelayExpression } : {}),
      ...(spec.labels.length > 0 ? { label: spec.labels[0], labels: spec.labels } : {}),
      ...(schedule.lastScheduleTime === undefined
        ? {}
        : { lastScheduleTime: Math.floor(schedule.lastScheduleTime) }),
      ...(schedule.nextScheduleTime === undefined
        ? {}
        : { nextScheduleTime: Math.floor(schedule.nextScheduleTime) }),
      ...(schedule.lastMessageIds.length > 0 ? { lastScheduleStates: states } : {}),
    };
  }

  private arm(schedule: ScheduleRecord, after: number): void {
    const next = schedule.cron.nextAfter(after);
    schedule.nextScheduleTime = next;
    if (next === undefined) return;
    schedule.cancelTimer = this.clock.at(next, () => {
      schedule.cancelTimer = undefined;
      if (this.schedules.get(schedule.scheduleId) !== schedule) return;
      if (!schedule.isPaused) {
        schedule.lastScheduleTime = next;
        schedule.lastMessageIds = [this.fire(schedule)];
      }
      // Never before `next`: a timer that fired early must not tick twice; late ticks are skipped.
      this.arm(schedule, Math.max(next, this.clock.now()));
    });
  }
}

/** lastScheduleStates values (QT:1290): IN_PROGRESS | SUCCESS | FAIL. */
function scheduleState(state: MessageState | undefined): string {
  if (state === "DELIVERED") return "SUCCESS";
  if (state === "FAILED" || state === "CANCELLED") return "FAIL";
  return "IN_PROGRESS";
}
