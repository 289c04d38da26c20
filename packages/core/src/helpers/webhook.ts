import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { SwitchyardError } from "../errors/switchyard-error.js";
import { type FetchWithRetryOptions, fetchWithRetry } from "./fetch-with-retry.js";

/** The headers of a signed webhook delivery. */
export const WEBHOOK_HEADERS = {
  /** `v1=<hex HMAC-SHA256 of "<timestamp>.<idempotency key>.<body>">` */
  signature: "x-switchyard-signature",
  /** Unix seconds when the delivery was signed. */
  timestamp: "x-switchyard-timestamp",
  /** The same on every attempt of one delivery: the receiver drops repeats by it. */
  idempotencyKey: "idempotency-key",
} as const;

export const WEBHOOK_VERIFICATION_ERROR_CODE = "SWITCHYARD_WEBHOOK_VERIFICATION";

/** A delivery whose signature is missing, wrong, or too old. Answer it with 401. */
export class WebhookVerificationError extends SwitchyardError {
  readonly code = WEBHOOK_VERIFICATION_ERROR_CODE;
}

/** The signature headers for `body`, signed now (or at `timestampSeconds`). */
export function signWebhook(options: {
  secret: string;
  body: string;
  idempotencyKey: string;
  timestampSeconds?: number;
}): Record<string, string> {
  const timestamp = String(options.timestampSeconds ?? Math.floor(Date.now() / 1_000));
  return {
    [WEBHOOK_HEADERS.signature]: `v1=${hmac(options.secret, timestamp, options.idempotencyKey, options.body)}`,
    [WEBHOOK_HEADERS.timestamp]: timestamp,
    [WEBHOOK_HEADERS.idempotencyKey]: options.idempotencyKey,
  };
}

export interface DeliverWebhookOptions extends FetchWithRetryOptions {
  url: string;
  secret: string;
  /** Sent as JSON. */
  payload: unknown;
  /** Keep it stable across job retries (derive it from the job's payload or id). Default: a random UUID. */
  idempotencyKey?: string;
  headers?: Record<string, string>;
}

/**
 * POSTs `payload` as JSON, signed, with the retry rules of `fetchWithRetry`. Each attempt is signed
 * afresh (a new timestamp) under the same idempotency key, so the receiver can drop repeats.
 */
export async function deliverWebhook(options: DeliverWebhookOptions): Promise<Response> {
  const body = JSON.stringify(options.payload);
  const idempotencyKey = options.idempotencyKey ?? randomUUID();
  const signedFetch: typeof fetch = (input, init) =>
    (options.fetch ?? fetch)(input, {
      ...init,
      headers: {
        "content-type": "application/json",
        ...options.headers,
        ...signWebhook({ secret: options.secret, body, idempotencyKey }),
      },
    });
  return fetchWithRetry(options.url, { method: "POST", body }, { ...options, fetch: signedFetch });
}

export interface VerifyWebhookOptions {
  /** One secret, or several while rotating: any may match. */
  secret: string | ReadonlyArray<string>;
  /** The raw body, exactly as received. */
  body: string;
  headers: Headers | Record<string, string | undefined>;
  /** How old (or how far ahead) a timestamp may be. Default 300 s. */
  toleranceSeconds?: number;
  /** Default: now. */
  nowSeconds?: number;
}

/**
 * Checks a delivery's signature in constant time and its timestamp against the tolerance.
 * Returns the idempotency key (drop the delivery if you have seen it); throws WebhookVerificationError.
 */
export function verifyWebhook(options: VerifyWebhookOptions): {
  idempotencyKey: string;
  timestampSeconds: number;
} {
  const header = (name: string) =>
    options.headers instanceof Headers
      ? (options.headers.get(name) ?? undefined)
      : lookup(options.headers, name);
  const signature = header(WEBHOOK_HEADERS.signature);
  const timestamp = header(WEBHOOK_HEADERS.timestamp);
  const idempotencyKey = header(WEBHOOK_HEADERS.idempotencyKey);
  if (!signature || !timestamp || !idempotencyKey) {
    throw new WebhookVerificationError("missing signature, timestamp or idempotency-key header");
  }
  const timestampSeconds = Number(timestamp);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1_000);
  if (!/^\d+$/.test(timestamp) || Math.abs(now - timestampSeconds) > (options.toleranceSeconds ?? 300)) {
    throw new WebhookVerificationError("stale or malformed timestamp");
  }
  const given = Buffer.from(signature.replace(/^v1=/, ""), "hex");
  const secrets = typeof options.secret === "string" ? [options.secret] : options.secret;
  const matches = secrets.some((secret) => {
    const expected = Buffer.from(hmac(secret, timestamp, idempotencyKey, options.body), "hex");
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!signature.startsWith("v1=") || !matches)
    throw new WebhookVerificationError("signature does not match");
  return { idempotencyKey, timestampSeconds };
}

function hmac(secret: string, timestamp: string, idempotencyKey: string, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${idempotencyKey}.${body}`).digest("hex");
}

function lookup(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}
