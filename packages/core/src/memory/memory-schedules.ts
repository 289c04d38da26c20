import { nextCronTime } from "../cron.js";
import type { ScheduleEntry } from "../interfaces.js";
import type { Clock, ClockTimer } from "./clock.js";

/** The memory backend's schedules: each armed with one timer for its next fire, while a worker runs. */
export class MemorySchedules {
  readonly #clock: Clock;
  readonly #fire: (entry: ScheduleEntry) => void;
  readonly #entries = new Map<string, { entry: ScheduleEntry; timer?: ClockTimer; nextRunAt?: number }>();
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
      if (active) this.#arm(slot);
    }
  }

  upsert(entry: ScheduleEntry): void {
    const previous = this.#entries.get(entry.id);
    previous?.timer?.cancel();
    const slot = { entry: structuredClone(entry) } as {
      entry: ScheduleEntry;
      timer?: ClockTimer;
      nextRunAt?: number;
    };
    this.#entries.set(entry.id, slot);
    if (this.#active) this.#arm(slot);
  }

  remove(id: string): boolean {
    const slot = this.#entries.get(id);
    slot?.timer?.cancel();
    return this.#entries.delete(id);
  }

  list(): ScheduleEntry[] {
    return [...this.#entries.values()].map(({ entry, nextRunAt }) => ({
      ...structuredClone(entry),
      nextRunAt: new Date(nextRunAt ?? this.#nextRun(entry)),
    }));
  }

  #arm(slot: { entry: ScheduleEntry; timer?: ClockTimer; nextRunAt?: number }): void {
    const at = this.#nextRun(slot.entry);
    slot.nextRunAt = at;
    slot.timer = this.#clock.setTimer(() => {
      if (this.#entries.get(slot.entry.id) !== slot) return; // replaced or removed meanwhile
      this.#fire(slot.entry);
      if (this.#active) this.#arm(slot);
    }, at - this.#clock.now());
  }

  #nextRun(entry: ScheduleEntry): number {
    const now = this.#clock.now();
    if (entry.everyMs !== undefined) return now + entry.everyMs;
    return nextCronTime(entry.cron!, entry.timezone, new Date(now))?.getTime() ?? Number.POSITIVE_INFINITY;
  }
}
