import { nextCronTime } from "../cron.js";
import type { ScheduleEntry } from "../interfaces.js";
import type { Clock, ClockTimer } from "./clock.js";

interface ScheduleSlot {
  entry: ScheduleEntry;
  /** `every` periods count from here (the upsert), however often workers come and go. */
  anchor: number;
  timer?: ClockTimer;
  /** The due time last computed; kept while no worker runs, so a missed fire is caught up. */
  nextRunAt?: number;
}

/**
 * The memory backend's schedules: each armed with one timer for its next fire, while a worker runs.
 * As on BullMQ and PostgreSQL, `every` periods are fixed from the upsert (a worker joining or leaving
 * does not restart them), and fires missed while no worker ran are caught up with one fire.
 */
export class MemorySchedules {
  readonly #clock: Clock;
  readonly #fire: (entry: ScheduleEntry) => void;
  readonly #entries = new Map<string, ScheduleSlot>();
  #active = false;

  constructor(clock: Clock, fire: (entry: ScheduleEntry) => void) {
    this.#clock = clock;
    this.#fire = fire;
  }

  /** Schedules fire only while at least one worker runs, as they would with a real backend's scheduler. */
  setActive(active: boolean): void {
    if (active === this.#active) return;
    this.#active = active;
    for (const slot of this.#entries.values()) {
      slot.timer?.cancel();
      slot.timer = undefined;
      if (!active) continue;
      if (slot.nextRunAt !== undefined && slot.nextRunAt <= this.#clock.now()) this.#fire(slot.entry); // catch up once
      this.#arm(slot);
    }
  }

  /** Replaces the schedule with this id. The same settings again (a worker syncing its declared schedules) change nothing. */
  upsert(entry: ScheduleEntry): void {
    const previous = this.#entries.get(entry.id);
    if (previous && sameSchedule(previous.entry, entry)) {
      previous.entry.declared = entry.declared;
      return;
    }
    previous?.timer?.cancel();
    const slot: ScheduleSlot = { entry: structuredClone(entry), anchor: this.#clock.now() };
    this.#entries.set(entry.id, slot);
    slot.nextRunAt = this.#nextRun(slot);
    if (this.#active) this.#arm(slot);
  }

  remove(id: string): boolean {
    const slot = this.#entries.get(id);
    slot?.timer?.cancel();
    return this.#entries.delete(id);
  }

  list(): ScheduleEntry[] {
    return [...this.#entries.values()].map((slot) => ({
      ...structuredClone(slot.entry),
      nextRunAt: new Date(slot.nextRunAt ?? this.#nextRun(slot)),
    }));
  }

  #arm(slot: ScheduleSlot): void {
    const at = this.#nextRun(slot);
    slot.nextRunAt = at;
    slot.timer = this.#clock.setTimer(() => {
      if (this.#entries.get(slot.entry.id) !== slot) return; // replaced or removed meanwhile
      this.#fire(slot.entry);
      if (this.#active) this.#arm(slot);
    }, at - this.#clock.now());
  }

  /** The first due time strictly after now. */
  #nextRun(slot: ScheduleSlot): number {
    const now = this.#clock.now();
    const { everyMs, cron, timezone } = slot.entry;
    if (everyMs !== undefined) return slot.anchor + (Math.floor((now - slot.anchor) / everyMs) + 1) * everyMs;
    return nextCronTime(cron!, timezone, new Date(now))?.getTime() ?? Number.POSITIVE_INFINITY;
  }
}

function sameSchedule(a: ScheduleEntry, b: ScheduleEntry): boolean {
  return (
    a.job === b.job &&
    a.cron === b.cron &&
    a.timezone === b.timezone &&
    a.everyMs === b.everyMs &&
    JSON.stringify(a.payload) === JSON.stringify(b.payload)
  );
}
