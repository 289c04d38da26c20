export { renderCompatibilityDoc } from "./compatibility-doc.js";
export { type ConformanceSuiteOptions, defineConformanceSuite } from "./define-conformance-suite.js";
export {
  answeringPlatform,
  closedPort,
  type FailingPlatform,
  resettingPlatform,
  type ScriptedAnswer,
  scriptedPlatform,
} from "./failing-platform.js";
export type { ConformanceHarness, RunningRuntime } from "./harness.js";
export { memoryHarness } from "./memory-harness.js";
export { deferred, Probe, type ProbeCall } from "./probe.js";
export {
  type ConformanceReport,
  readReports,
  reportDirectory,
  repositoryRoot,
  type ScenarioReport,
  type ScenarioStatus,
  writeReport,
} from "./report.js";
export { defineScenario, type Scenario, type ScenarioContext } from "./scenario.js";
export { allScenarios } from "./scenarios/index.js";
export { TelemetryRecorder, type TelemetryRecorderOptions } from "./telemetry-recorder.js";
export { typeErrorsIn } from "./type-errors.js";
export { sleep, waitFor } from "./wait-for.js";
