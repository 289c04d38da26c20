import { type Backend, ConfigError } from "@switchyard/core";
import { trigger } from "./trigger-backend.js";

/**
 * The backend `SWITCHYARD_BACKEND=trigger` selects: the environment's secret key from
 * `TRIGGER_SECRET_KEY` (required), the API from `TRIGGER_API_URL` (default
 * `https://api.trigger.dev`).
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): Backend {
  const secretKey = env.TRIGGER_SECRET_KEY?.trim();
  if (!secretKey) {
    throw new ConfigError(
      "SWITCHYARD_BACKEND=trigger needs TRIGGER_SECRET_KEY: the secret key of your Trigger.dev environment (API keys page of the dashboard)",
    );
  }
  const baseURL = env.TRIGGER_API_URL?.trim();
  return trigger({ secretKey, ...(baseURL ? { baseURL } : {}) });
}
