/** A cron schedule attached to a scheduled task (C:schemas/api.js ScheduleObject). */
export interface ScheduleRecord {
  id: string;
  /** DECLARATIVE: from `schedules.task({ cron })`; IMPERATIVE: from `schedules.create`. */
  type: "DECLARATIVE" | "IMPERATIVE";
  taskIdentifier: string;
  /** Five-field cron expression, evaluated in `timezone`. */
  cron: string;
  /** IANA timezone; `UTC` by default. */
  timezone: string;
  /** Human description of the cron; the emulator repeats the expression. */
  description: string;
  active: boolean;
  deduplicationKey: string;
  /** Whether the caller chose the key (only then is it reported back). */
  userProvidedDeduplicationKey: boolean;
  externalId?: string;
  window?: string;
  createdAt: Date;
  /** The pending nominal occurrence: the next time the schedule fires. */
  nextRun?: Date;
  /** When it last fired (`payload.lastTimestamp` of the next run). */
  lastTimestamp?: Date;
}
