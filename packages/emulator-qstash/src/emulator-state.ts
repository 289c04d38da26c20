import type { DeadLetterQueue } from "./dead-letter-queue.js";
import type { DeduplicationStore } from "./deduplication.js";
import type { EmulatorClock } from "./emulator-clock.js";
import type { EventLog } from "./event-log.js";
import type { FlowControlLimiter } from "./flow-control-limiter.js";
import type { MessageEngine } from "./message-engine.js";
import type { ResolvedOptions } from "./options.js";
import type { QueueRegistry } from "./queue-registry.js";
import type { ScheduleRegistry } from "./schedule-registry.js";

/** Everything the HTTP routes read and change; owned by QStashEmulator. */
export interface EmulatorState {
  options: ResolvedOptions;
  clock: EmulatorClock;
  engine: MessageEngine;
  dlq: DeadLetterQueue;
  schedules: ScheduleRegistry;
  queues: QueueRegistry;
  flowControl: FlowControlLimiter;
  log: EventLog;
  deduplication: DeduplicationStore;
  /** Signing keys; `current` signs, `next` becomes current on rotation. */
  keys: { current: string; next: string };
}
