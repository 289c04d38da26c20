import { canonicalHeaderName } from "./api-encoding.js";
import { parseHeaderDuration } from "./duration.js";
import { type FlowControlSpec, parseFlowControl } from "./flow-control.js";
import { badRequest } from "./http-error.js";
import { compileRetryDelay, RetryDelayExpressionError } from "./retry-delay-expression.js";

/** Lower-cased header name → value, as node:http and the batch body (`Headers.entries()`) give them. */
export type HeaderBag = Record<string, string | string[] | undefined>;

const METHODS = new Set(["GET", "POST", "PUT", "DELETE", "PATCH"]);

/** Options of a callback or failure-callback message (qstash/features/callbacks.mdx "Configuring Callbacks"). */
export interface CallbackSpec {
  url: string;
  method: string;
  retries?: number;
  retryDelayExpression?: string;
  timeoutMs?: number;
  delayMs?: number;
  headers: Array<[string, string]>;
}

/** Everything about a message that stays fixed across its attempts. */
export interface MessageSpec {
  destination: string;
  method: string;
  body: Buffer;
  /** Headers delivered as-is: `Content-Type` and each `Upstash-Forward-*` with the prefix stripped. */
  headers: Array<[string, string]>;
  maxRetries: number;
  retryDelayExpression?: string;
  /** Per-attempt timeout, REAL ms (not scaled). */
  timeoutMs?: number;
  callback?: CallbackSpec;
  failureCallback?: CallbackSpec;
  queueName?: string;
  flowControl?: FlowControlSpec;
  labels: string[];
  callerIp?: string;
}

/** A parsed publish: the spec plus the once-only settings. */
export interface PublishRequest {
  spec: MessageSpec;
  /** `Upstash-Delay`, emulator-clock ms. */
  delayMs?: number;
  /** `Upstash-Not-Before`, wall-clock unix ms. */
  notBeforeMs?: number;
  deduplicationId?: string;
  contentBasedDeduplication: boolean;
}

const header = (headers: HeaderBag, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
};

/** Checks that a destination is an absolute http(s) URL; URL groups are not emulated. */
export function parseDestination(destination: string): string {
  let candidate = destination;
  // curl users often percent-encode the whole destination; the SDK appends it raw (Q:1550).
  if (/^https?%3A/i.test(candidate)) candidate = decodeURIComponent(candidate);
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    throw badRequest(
      `invalid destination ${JSON.stringify(destination)}: URL groups are not emulated, use an http(s) URL`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw badRequest(`invalid destination ${JSON.stringify(destination)}: only http and https are supported`);
  }
  return candidate;
}

function parseRetries(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid ${what}: ${value}`);
  return n;
}

function parseDuration(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseHeaderDuration(value);
  if (ms === undefined || ms < 0) throw badRequest(`invalid ${what}: ${value}`);
  return ms;
}

function parseMethod(value: string | undefined, what: string): string {
  const method = (value ?? "POST").toUpperCase();
  if (!METHODS.has(method)) throw badRequest(`invalid ${what}: ${value}`);
  return method;
}

function checkExpression(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    compileRetryDelay(value);
  } catch (error) {
    if (error instanceof RetryDelayExpressionError) throw badRequest(`invalid ${what}: ${error.message}`);
    throw error;
  }
  return value;
}

/** Headers with `prefix` (lower case), prefix stripped, names canonicalised. */
function strippedHeaders(headers: HeaderBag, prefix: string): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !name.startsWith(prefix)) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) result.push([canonicalHeaderName(name.slice(prefix.length)), v]);
  }
  return result;
}

function parseCallback(headers: HeaderBag, kind: "callback" | "failure-callback"): CallbackSpec | undefined {
  const prefix = `upstash-${kind}`;
  const url = header(headers, prefix);
  if (url === undefined) return undefined;
  const spec: CallbackSpec = {
    url: parseDestination(url),
    method: parseMethod(header(headers, `${prefix}-method`), `${prefix}-method`),
    headers: strippedHeaders(headers, `${prefix}-forward-`),
  };
  const retries = parseRetries(header(headers, `${prefix}-retries`), `${prefix}-retries`);
  if (retries !== undefined) spec.retries = retries;
  const expression = checkExpression(header(headers, `${prefix}-retry-delay`), `${prefix}-retry-delay`);
  if (expression !== undefined) spec.retryDelayExpression = expression;
  const timeoutMs = parseDuration(header(headers, `${prefix}-timeout`), `${prefix}-timeout`);
  if (timeoutMs !== undefined) spec.timeoutMs = timeoutMs;
  const delayMs = parseDuration(header(headers, `${prefix}-delay`), `${prefix}-delay`);
  if (delayMs !== undefined) spec.delayMs = delayMs;
  return spec;
}

/**
 * Reads the `Upstash-*` request headers of a publish / enqueue / batch item / schedule
 * (OA /v2/publish parameters). Anything not listed here, including the
 * SDK's `Upstash-Telemetry-*` headers and `Upstash-Redact-Fields`, is ignored and not forwarded.
 */
export function parsePublishRequest(options: {
  destination: string;
  headers: HeaderBag;
  body: Buffer;
  defaultRetries: number;
  queueName?: string;
  callerIp?: string;
}): PublishRequest {
  const { headers } = options;
  const forwarded = strippedHeaders(headers, "upstash-forward-");
  const contentType = header(headers, "content-type");
  const spec: MessageSpec = {
    destination: parseDestination(options.destination),
    method: parseMethod(header(headers, "upstash-method"), "Upstash-Method"),
    body: options.body,
    headers: contentType === undefined ? forwarded : [["Content-Type", contentType], ...forwarded],
    // "If it is not provided, the default of 3 retries is used" (OA Upstash-Retries).
    maxRetries: parseRetries(header(headers, "upstash-retries"), "Upstash-Retries") ?? options.defaultRetries,
    labels: (header(headers, "upstash-label") ?? "")
      .split(",")
      .map((label) => label.trim())
      .filter(Boolean),
  };
  const expression = checkExpression(header(headers, "upstash-retry-delay"), "Upstash-Retry-Delay");
  if (expression !== undefined) spec.retryDelayExpression = expression;
  const timeoutMs = parseDuration(header(headers, "upstash-timeout"), "Upstash-Timeout");
  if (timeoutMs !== undefined) spec.timeoutMs = timeoutMs;
  const callback = parseCallback(headers, "callback");
  if (callback) spec.callback = callback;
  const failureCallback = parseCallback(headers, "failure-callback");
  if (failureCallback) spec.failureCallback = failureCallback;
  const queueName = options.queueName ?? header(headers, "upstash-queue-name");
  if (queueName) spec.queueName = queueName;
  const flowControl = parseFlowControl(
    header(headers, "upstash-flow-control-key"),
    header(headers, "upstash-flow-control-value"),
  );
  if (flowControl) spec.flowControl = flowControl;
  if (options.callerIp) spec.callerIp = options.callerIp;

  const request: PublishRequest = {
    spec,
    contentBasedDeduplication:
      header(headers, "upstash-content-based-deduplication")?.toLowerCase() === "true",
  };
  const delayMs = parseDuration(header(headers, "upstash-delay"), "Upstash-Delay");
  if (delayMs !== undefined) request.delayMs = delayMs;
  const notBefore = header(headers, "upstash-not-before");
  if (notBefore !== undefined) {
    // Unix SECONDS (OA Upstash-Not-Before; the SDK sends `notBefore.toFixed(0)`, Q:366-368).
    const seconds = Number(notBefore);
    if (!Number.isFinite(seconds) || seconds < 0)
      throw badRequest(`invalid Upstash-Not-Before: ${notBefore}`);
    request.notBeforeMs = seconds * 1000;
  }
  const deduplicationId = header(headers, "upstash-deduplication-id");
  if (deduplicationId) request.deduplicationId = deduplicationId;
  return request;
}
