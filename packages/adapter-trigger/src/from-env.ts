import type { Backend } from "@switchyard/core";
import { trigger } from "./trigger-backend.js";

/**
 * The backend `SWITCHYARD_BACKEND=trigger` selects: the environment's secret key from
 * `TRIGGER_SECRET_KEY`, the API from `TRIGGER_API_URL` (default `https://api.trigger.dev`). Without
 * a key it still builds, so that a Trigger.dev worker can import the jobs module (inside a run the
 * SDK uses the run's token); without any credentials, the first call to Trigger.dev fails with the
 * SDK's error naming TRIGGER_SECRET_KEY.
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): Backend {
  const secretKey = env.TRIGGER_SECRET_KEY?.trim();
  const baseURL = env.TRIGGER_API_URL?.trim();
  return trigger({ ...(secretKey ? { secretKey } : {}), ...(baseURL ? { baseURL } : {}) });
}
