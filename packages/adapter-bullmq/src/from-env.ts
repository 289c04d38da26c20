import type { Backend } from "@switchyard/core";
import { bullmq } from "./bullmq-backend.js";
import { DEFAULT_REDIS_URL } from "./bullmq-options.js";

/**
 * The backend `SWITCHYARD_BACKEND=bullmq` selects: Redis from `REDIS_URL` (default
 * `redis://127.0.0.1:6379`), keys under `SWITCHYARD_BULLMQ_PREFIX` (default `switchyard`).
 */
export function fromEnv(env: Record<string, string | undefined> = process.env): Backend {
  const prefix = env.SWITCHYARD_BULLMQ_PREFIX?.trim();
  return bullmq({ url: env.REDIS_URL?.trim() || DEFAULT_REDIS_URL, ...(prefix ? { prefix } : {}) });
}
