import { backoffDelay } from "../backoff.js";
import { resolveRetryPolicy } from "../define-job.js";
import { PermanentError } from "../errors/permanent-error.js";
import { RetryAfterError } from "../errors/retry-after-error.js";
import { SwitchyardError } from "../errors/switchyard-error.js";
import type { RetryPolicy } from "../interfaces.js";

/** Statuses that will not get better by asking again. */
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 422]);

export const HTTP_STATUS_ERROR_CODE = "SWITCHYARD_HTTP_STATUS";

/** A response with a status that is neither success nor retried in place. */
export class HttpStatusError extends SwitchyardError {
  readonly code = HTTP_STATUS_ERROR_CODE;
  readonly status: number;
  readonly url: string;

  constructor(status: number, url: string, detail: string) {
    super(`HTTP ${status} from ${url}${detail ? `: ${detail}` : ""}`);
    this.status = status;
    this.url = url;
  }
}

export interface FetchWithRetryOptions {
  /** Attempts in this call, the first included. Default 3. */
  maxAttempts?: number;
  /** Default `{ type: "exponential", delay: "500ms", factor: 2, max: "30s" }`. */
  backoff?: RetryPolicy["backoff"];
  /** Default 0.2: each delay is shortened by up to 20%. */
  jitter?: number;
  /** A `Retry-After` longer than this is not waited for in place: RetryAfterError hands it to the job's retry. Default 30 s. */
  maxRetryAfterMs?: number;
  /** Aborts waiting and fetching (pass the handler's `ctx.signal`). */
  signal?: AbortSignal;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

/**
 * `fetch` for job handlers, with the retry rules every app writes by hand:
 * - 2xx and other statuses below 400: returned;
 * - 400, 401, 403, 404, 422: PermanentError (the job is not retried);
 * - 408, 429, 5xx and network errors: retried here with backoff and jitter, honouring `Retry-After`;
 *   when the attempts here run out, the error is thrown for the job's own retry policy
 *   (a RetryAfterError when the server named a time);
 * - any other 4xx: HttpStatusError, left to the job's retry policy.
 */
export async function fetchWithRetry(
  input: string | URL,
  init: RequestInit = {},
  options: FetchWithRetryOptions = {},
): Promise<Response> {
  const policy = resolveRetryPolicy(
    {
      maxAttempts: options.maxAttempts ?? 3,
      backoff: options.backoff ?? { type: "exponential", delay: "500ms", factor: 2, max: "30s" },
      jitter: options.jitter ?? 0.2,
    },
    "fetchWithRetry",
  );
  const doFetch = options.fetch ?? fetch;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const url = String(input);
  for (let attempt = 1; ; attempt++) {
    let failure: Error;
    let retryAfterMs: number | undefined;
    try {
      const response = await doFetch(input, { ...init, signal: options.signal ?? init.signal });
      if (response.status < 400) return response;
      const detail = (await response.text().catch(() => "")).slice(0, 200);
      if (PERMANENT_STATUSES.has(response.status)) {
        throw new PermanentError(`HTTP ${response.status} from ${url}: ${detail}`, {
          cause: new HttpStatusError(response.status, url, detail),
        });
      }
      failure = new HttpStatusError(response.status, url, detail);
      if (!isRetryableStatus(response.status)) throw failure;
      retryAfterMs = retryAfterDelay(response.headers.get("retry-after"));
    } catch (error) {
      if (error instanceof SwitchyardError || options.signal?.aborted) throw error;
      failure = error as Error; // network failure: fetch rejects with a TypeError
    }
    const lastAttempt = attempt >= policy.maxAttempts;
    if (retryAfterMs !== undefined && (lastAttempt || retryAfterMs > maxRetryAfterMs)) {
      throw new RetryAfterError(retryAfterMs, failure.message, { cause: failure });
    }
    if (lastAttempt) throw failure;
    await sleep(retryAfterMs ?? backoffDelay(policy, attempt), options.signal);
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from now; undefined when absent or unreadable. */
export function retryAfterDelay(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
