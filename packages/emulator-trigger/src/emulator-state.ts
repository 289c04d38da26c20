import type { BatchEngine } from "./batch-engine.js";
import type { EmulatedEnvironment } from "./emulated-environment.js";
import type { PacketStore } from "./packet-store.js";
import type { RunEngine } from "./run-engine.js";
import type { RunStore } from "./run-store.js";
import type { ScheduleEngine } from "./schedule-engine.js";

/** What the REST routes work on: one emulated environment and its runs, batches and schedules. */
export interface EmulatorState {
  environment: EmulatedEnvironment;
  store: RunStore;
  packets: PacketStore;
  runs: RunEngine;
  batches: BatchEngine;
  schedules: ScheduleEngine;
  /** The emulator's base URL (known once it listens). */
  baseUrl(): string;
}
