// Compiled under exactOptionalPropertyTypes by exact-optional-types.test.ts (./tsconfig.json): the
// README's configuration, with the environment's values passed as they are.
import { inngest } from "../../src/index.js";

export const backend = inngest({
  appId: process.env.INNGEST_APP_ID,
  eventKey: process.env.INNGEST_EVENT_KEY,
  signingKey: process.env.INNGEST_SIGNING_KEY,
  baseUrl: process.env.INNGEST_BASE_URL,
  isDev: process.env.INNGEST_DEV ? true : undefined,
  logger: undefined,
  runCreationWait: process.env.CI ? "5s" : undefined,
});
