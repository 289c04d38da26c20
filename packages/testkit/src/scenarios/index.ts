import type { Scenario } from "../scenario.js";
import { capabilityScenarios } from "./capabilities.js";
import { concurrencyScenarios } from "./concurrency.js";
import { delayScenarios } from "./delay.js";
import { enqueueScenarios } from "./enqueue.js";
import { errorScenarios } from "./errors.js";
import { eventScenarios } from "./events.js";
import { failedScenarios } from "./failed.js";
import { idempotencyScenarios } from "./idempotency.js";
import { jobListingScenarios } from "./job-listing.js";
import { lifecycleScenarios } from "./lifecycle.js";
import { multiProcessScenarios } from "./multi-process.js";
import { payloadScenarios } from "./payload.js";
import { priorityScenarios } from "./priority.js";
import { retryScenarios } from "./retry.js";
import { retryFailedScenarios } from "./retry-failed.js";
import { scheduleScenarios } from "./schedules.js";
import { stepScenarios } from "./steps.js";
import { storedValueScenarios } from "./stored-values.js";
import { telemetryScenarios } from "./telemetry.js";
import { validationScenarios } from "./validation.js";
import { volumeScenarios } from "./volume.js";
import { workerScenarios } from "./worker.js";

/** Every conformance scenario, in the order the suite runs them. */
export const allScenarios: ReadonlyArray<Scenario> = [
  ...capabilityScenarios,
  ...enqueueScenarios,
  ...validationScenarios,
  ...payloadScenarios,
  ...storedValueScenarios,
  ...retryScenarios,
  ...errorScenarios,
  ...failedScenarios,
  ...jobListingScenarios,
  ...retryFailedScenarios,
  ...idempotencyScenarios,
  ...delayScenarios,
  ...priorityScenarios,
  ...concurrencyScenarios,
  ...multiProcessScenarios,
  ...scheduleScenarios,
  ...lifecycleScenarios,
  ...eventScenarios,
  ...telemetryScenarios,
  ...workerScenarios,
  ...stepScenarios,
  ...volumeScenarios,
];
