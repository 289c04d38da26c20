import { installTaskCatalog } from "./task-catalog.js";

export { startTriggerEmulator, TriggerEmulator } from "./emulator.js";
export type { ScheduleRecord } from "./schedule-record.js";
export { assertTasksRegistered, findTaskManifest, installTaskCatalog } from "./task-catalog.js";
export type {
  AttemptRecord,
  EmulatedEnvironmentType,
  EmulatedRun,
  RequestRecord,
  RunStatus,
  TriggerEmulatorOptions,
  WaitOptions,
} from "./types.js";

// Importing the emulator installs the SDK's task catalog, so task modules imported after it
// register their run functions — the same side effect @trigger.dev/sdk/ai/test has
// (S:test/index.js imports ./setup-catalog.js).
installTaskCatalog();
