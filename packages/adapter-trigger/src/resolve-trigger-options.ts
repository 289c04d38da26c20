import { ConfigError } from "@switchyard/core";
import {
  checkHttpUrl,
  checkOptions,
  describeValue,
  optionalText,
  toMilliseconds,
} from "@switchyard/core/adapter";
import type { TriggerBackendOptions } from "./trigger-options.js";
import { DEFAULT_REQUEST_RETRY, type RequestRetry } from "./trigger-request.js";

/** `trigger()`'s options, checked once, with their defaults. */
export interface ResolvedTriggerOptions {
  secretKey: string | undefined;
  baseURL: string | undefined;
  scheduleTaskId: string;
  batchTimeoutMs: number;
  requestRetry: RequestRetry;
}

const WHERE = "trigger()";
const OPTION_KEYS = ["secretKey", "baseURL", "scheduleTaskId", "batchTimeout", "requestRetry"];
const DEFAULT_SCHEDULE_TASK_ID = "switchyard-schedules";
/** enqueueMany waits this long at most for a batch's runs: it is a request's latency. */
const MAX_BATCH_TIMEOUT_MS = 10 * 60_000;
const MAX_RETRY_DELAY_MS = 5 * 60_000;
const MAX_ATTEMPTS = 20;

/** Checks every option once; each problem is a ConfigError naming the option. */
export function resolveTriggerOptions(options: TriggerBackendOptions): ResolvedTriggerOptions {
  checkOptions(options, WHERE, OPTION_KEYS);
  const secretKey = optionalText(options.secretKey, `${WHERE}: secretKey`);
  const baseURL = optionalText(options.baseURL, `${WHERE}: baseURL`);
  if (baseURL !== undefined) checkHttpUrl(baseURL, `${WHERE}: baseURL`);
  const batchTimeoutMs = toMilliseconds(options.batchTimeout ?? "30s", `${WHERE}: batchTimeout`);
  if (batchTimeoutMs > MAX_BATCH_TIMEOUT_MS) {
    throw new ConfigError(`${WHERE}: batchTimeout must be at most 10 minutes, got ${batchTimeoutMs} ms`);
  }
  return {
    secretKey,
    baseURL,
    scheduleTaskId:
      optionalText(options.scheduleTaskId, `${WHERE}: scheduleTaskId`) ?? DEFAULT_SCHEDULE_TASK_ID,
    batchTimeoutMs,
    requestRetry: resolveRequestRetry(options.requestRetry),
  };
}

function resolveRequestRetry(retry: TriggerBackendOptions["requestRetry"]): RequestRetry {
  const where = `${WHERE}: requestRetry`;
  const given = checkOptions(retry, where, ["maxAttempts", "minDelay", "maxDelay", "factor"]);
  const maxAttempts = given.maxAttempts ?? DEFAULT_REQUEST_RETRY.maxAttempts;
  if (
    typeof maxAttempts !== "number" ||
    !Number.isInteger(maxAttempts) ||
    maxAttempts < 1 ||
    maxAttempts > MAX_ATTEMPTS
  ) {
    throw new ConfigError(
      `${where}.maxAttempts must be an integer from 1 to ${MAX_ATTEMPTS}, got ${describeValue(maxAttempts)}`,
    );
  }
  const minDelayMs =
    given.minDelay === undefined
      ? DEFAULT_REQUEST_RETRY.minDelayMs
      : toMilliseconds(given.minDelay, `${where}.minDelay`);
  const maxDelayMs =
    given.maxDelay === undefined
      ? DEFAULT_REQUEST_RETRY.maxDelayMs
      : toMilliseconds(given.maxDelay, `${where}.maxDelay`);
  if (maxDelayMs > MAX_RETRY_DELAY_MS || minDelayMs > maxDelayMs) {
    throw new ConfigError(
      `${where}: minDelay (${minDelayMs} ms) must not exceed maxDelay (${maxDelayMs} ms), which is at most 5 minutes`,
    );
  }
  const factor = given.factor ?? DEFAULT_REQUEST_RETRY.factor;
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
    throw new ConfigError(`${where}.factor must be a number of at least 1, got ${describeValue(factor)}`);
  }
  return { maxAttempts, minDelayMs, maxDelayMs, factor };
}
