// Compiled under exactOptionalPropertyTypes by exact-optional-types.test.ts (./tsconfig.json): the
// README's configuration, with the environment's values passed as they are.
import { qstash } from "../../src/index.js";

export const backend = qstash({
  token: process.env.QSTASH_TOKEN,
  currentSigningKey: process.env.QSTASH_CURRENT_SIGNING_KEY,
  nextSigningKey: process.env.QSTASH_NEXT_SIGNING_KEY,
  url: process.env.SWITCHYARD_PUBLIC_URL,
  baseUrl: process.env.QSTASH_URL,
  namespace: process.env.SWITCHYARD_QSTASH_NAMESPACE,
  clockToleranceSeconds: process.env.CLOCK_TOLERANCE ? Number(process.env.CLOCK_TOLERANCE) : undefined,
  retry: process.env.QSTASH_NO_RETRY ? false : undefined,
});
