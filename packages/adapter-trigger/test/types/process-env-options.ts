// Compiled under exactOptionalPropertyTypes by exact-optional-types.test.ts (./tsconfig.json): the
// README's configuration, with the environment's values passed as they are.
import { trigger } from "../../src/index.js";

export const backend = trigger({
  secretKey: process.env.TRIGGER_SECRET_KEY,
  baseURL: process.env.TRIGGER_API_URL,
  scheduleTaskId: process.env.SWITCHYARD_SCHEDULE_TASK_ID,
  batchTimeout: process.env.CI ? "1m" : undefined,
  requestRetry: { maxAttempts: process.env.CI ? 3 : undefined, minDelay: undefined },
});
