import { canonicalJson } from "./canonical-json.js";
import { signRequestBody } from "./signing-key.js";

/** An op of a 206 answer (I:types.js:44-75). */
export interface StepOp {
  id: string;
  op: string;
  name?: string;
  displayName?: string;
  opts?: Record<string, unknown>;
  data?: unknown;
  error?: unknown;
}

/** What the app answered to one call. */
export type SdkAnswer =
  | { outcome: "completed"; httpStatus: number; data: unknown; version?: number }
  | {
      outcome: "steps";
      httpStatus: number;
      ops: StepOp[];
      noRetry?: boolean;
      retryAfter?: string;
      version?: number;
    }
  | { outcome: "error"; httpStatus: number; error: unknown; noRetry: boolean; retryAfter?: string }
  | { outcome: "unreachable"; error: string };

/** One call to a function's serve URL. */
export interface SdkCall {
  url: string;
  runId: string;
  stepId: string;
  body: unknown;
  signingKey: string;
  /** Execution version to announce in `x-inngest-req-version`; omitted when -1. */
  version: number;
  timeoutMs: number;
}

function parseJson(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * POSTs the execution request the way the Go executor does
 * (G:pkg/execution/driver/httpdriver/httpdriver.go:308-372): canonical JSON
 * body, `X-Inngest-Signature`, `X-Run-ID`, `X-Inngest-Step-ID`,
 * `x-inngest-req-version`; and reads the answer per
 * I:components/InngestCommHandler.js:928-1027:
 * 200 = the function returned, 206 = step ops, anything else = an error whose
 * retry is decided by `X-Inngest-No-Retry` (always retried without it,
 * G:pkg/execution/driver/httpdriver/util.go:45-88). A 2xx without
 * `X-Inngest-SDK` is a failed attempt (G:httpdriver.go:298-303).
 */
export async function callSdk(call: SdkCall): Promise<SdkAnswer> {
  const body = canonicalJson(call.body);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "switchyard-inngest-emulator",
    "x-inngest-signature": signRequestBody(body, call.signingKey),
    "x-run-id": call.runId,
    "x-inngest-step-id": call.stepId,
  };
  if (call.version !== -1) headers["x-inngest-req-version"] = String(call.version);

  let response: Response;
  let text: string;
  try {
    response = await fetch(call.url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(call.timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    return { outcome: "unreachable", error: error instanceof Error ? error.message : String(error) };
  }

  const noRetryHeader = response.headers.get("x-inngest-no-retry");
  const retryAfter = response.headers.get("retry-after") ?? undefined;
  const versionHeader = Number(response.headers.get("x-inngest-req-version"));
  const version = Number.isInteger(versionHeader) && versionHeader > 0 ? versionHeader : undefined;
  const parsed = parseJson(text);
  const fromSdk = response.headers.has("x-inngest-sdk");

  if (response.status === 200 && fromSdk) {
    return { outcome: "completed", httpStatus: 200, data: parsed, version };
  }
  if (response.status === 206 && fromSdk && Array.isArray(parsed)) {
    return {
      outcome: "steps",
      httpStatus: 206,
      ops: parsed as StepOp[],
      noRetry: noRetryHeader === null ? undefined : noRetryHeader === "true",
      retryAfter,
      version,
    };
  }
  const error =
    response.status < 300
      ? {
          name: "Error",
          message: `Unexpected ${response.status} answer (not from an Inngest SDK?)`,
          body: parsed,
        }
      : parsed;
  return {
    outcome: "error",
    httpStatus: response.status,
    error,
    noRetry: noRetryHeader === "true",
    retryAfter,
  };
}
