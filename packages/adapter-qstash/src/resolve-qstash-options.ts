import { ConfigError } from "@switchyard/core";
import { checkHttpUrl, checkOptions, describeValue, optionalText } from "@switchyard/core/adapter";
import { assertNamespace } from "./account-keys.js";
import { assertHandlerUrl } from "./destination-url.js";
import {
  DEFAULT_MAX_DELAY_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_NAMESPACE,
  type QStashBackendOptions,
} from "./qstash-options.js";
import type { RequestRetry } from "./qstash-request.js";

/** `qstash()`'s options, checked once, with their defaults. */
export interface ResolvedQStashOptions {
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
  url: string;
  baseUrl: string | undefined;
  namespace: string;
  clockToleranceSeconds: number;
  retry: RequestRetry;
  maxMessageBytes: number;
  maxDelayMs: number;
}

const WHERE = "qstash()";
const OPTION_KEYS = [
  "token",
  "baseUrl",
  "currentSigningKey",
  "nextSigningKey",
  "url",
  "namespace",
  "clockToleranceSeconds",
  "retry",
  "maxMessageBytes",
  "maxDelayMs",
];
/** Each required option and the variable `fromEnv` reads it from. */
const REQUIRED = {
  token: "QSTASH_TOKEN",
  currentSigningKey: "QSTASH_CURRENT_SIGNING_KEY",
  nextSigningKey: "QSTASH_NEXT_SIGNING_KEY",
  url: "SWITCHYARD_PUBLIC_URL",
} as const;
/** The QStash SDK's defaults (qstash-js src/client/http.ts). */
const DEFAULT_RETRY: RequestRetry = { retries: 5, backoff: (retryCount) => Math.exp(retryCount) * 50 };
const MAX_RETRIES = 100;

/** Checks every option once; each problem is a ConfigError naming the option. */
export function resolveQStashOptions(options: QStashBackendOptions): ResolvedQStashOptions {
  if (options === undefined)
    throw new ConfigError(`${WHERE}: options are required (token, signing keys, url)`);
  checkOptions(options, WHERE, OPTION_KEYS);
  const missing = (Object.keys(REQUIRED) as Array<keyof typeof REQUIRED>).filter((name) => {
    const value = options[name];
    if (value !== undefined && typeof value !== "string") {
      throw new ConfigError(`${WHERE}: ${name} must be a string, got ${describeValue(value)}`);
    }
    return value === undefined || value.trim() === "";
  });
  if (missing.length > 0) {
    const variables = missing.map((name) => REQUIRED[name]).join(", ");
    throw new ConfigError(`${WHERE}: ${missing.join(", ")} required (${variables})`);
  }
  const url = options.url as string;
  assertHandlerUrl(url, WHERE);
  const baseUrl = optionalText(options.baseUrl, `${WHERE}: baseUrl`);
  if (baseUrl !== undefined) checkHttpUrl(baseUrl, `${WHERE}: baseUrl`);
  const namespace = optionalText(options.namespace, `${WHERE}: namespace`) ?? DEFAULT_NAMESPACE;
  assertNamespace(namespace, WHERE);
  const tolerance = options.clockToleranceSeconds ?? 0;
  if (typeof tolerance !== "number" || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new ConfigError(
      `${WHERE}: clockToleranceSeconds must be a non-negative number of seconds, got ${describeValue(tolerance)}`,
    );
  }
  return {
    token: (options.token as string).trim(),
    currentSigningKey: (options.currentSigningKey as string).trim(),
    nextSigningKey: (options.nextSigningKey as string).trim(),
    url,
    baseUrl,
    namespace,
    clockToleranceSeconds: tolerance,
    retry: resolveRetry(options.retry),
    maxMessageBytes: positiveInteger(options.maxMessageBytes, "maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES),
    maxDelayMs: positiveInteger(options.maxDelayMs, "maxDelayMs", DEFAULT_MAX_DELAY_MS),
  };
}

/** A plan limit: a positive whole number, or its default when undefined. */
function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(`${WHERE}: ${name} must be a positive whole number, got ${describeValue(value)}`);
  }
  return value;
}

function resolveRetry(retry: QStashBackendOptions["retry"]): RequestRetry {
  if (retry === undefined) return DEFAULT_RETRY;
  if (retry === false) return { retries: 0, backoff: () => 0 };
  checkOptions(retry, `${WHERE}: retry`, ["retries", "backoff"]);
  const retries = retry.retries ?? DEFAULT_RETRY.retries;
  if (typeof retries !== "number" || !Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) {
    throw new ConfigError(
      `${WHERE}: retry.retries must be an integer from 0 to ${MAX_RETRIES}, got ${describeValue(retries)}`,
    );
  }
  const backoff = retry.backoff ?? DEFAULT_RETRY.backoff;
  if (typeof backoff !== "function") {
    throw new ConfigError(`${WHERE}: retry.backoff must be a function, got ${describeValue(backoff)}`);
  }
  return { retries, backoff };
}
