import { BackendUnavailableError, ConfigError, type StoredOutcome } from "@switchyard/core";
import { describeFailure, fetchFailure } from "@switchyard/core/adapter";
import { InngestApiError } from "./inngest-api-error.js";
import type { SendTries } from "./send-tries.js";

/** How the inngest SDK reports an answer of the event API it refused (inngest-js `getResponseError`). */
const EVENT_API_ERROR = /^Inngest API Error: (\d{3}) ?([\s\S]*)$/;

/**
 * The Switchyard error for a failed `inngest.send`:
 * - network failure (after the SDK's 5 tries) or 5xx: BackendUnavailableError, `stored: "unknown"`
 *   when a try may have stored the events (`tries`, known for the adapter's own client only: with a
 *   client you pass, any network failure is `"unknown"`);
 * - 401/403: ConfigError naming INNGEST_EVENT_KEY;
 * - any other answer: InngestApiError with its status and Inngest's message.
 */
export function sendFailure(
  error: unknown,
  where: { eventApi: string; tries: SendTries | undefined },
): unknown {
  const stored: StoredOutcome = where.tries?.reached === false ? "no" : "unknown";
  if (fetchFailure(error) !== undefined) {
    const count = where.tries ? `, ${where.tries.count} ${where.tries.count === 1 ? "try" : "tries"}` : "";
    return new BackendUnavailableError(
      "inngest",
      `Inngest's event API at ${where.eventApi} could not be reached (send${count}): ${describeFailure(error)}`,
      { cause: error, stored },
    );
  }
  const answer = error instanceof Error ? EVENT_API_ERROR.exec(error.message) : null;
  if (!answer) return error;
  const status = Number(answer[1]);
  const refusal = where.tries?.refusal;
  const message = refusal?.status === status && refusal.body !== "" ? refusal.body : (answer[2] ?? "");
  if (status >= 500) {
    return new BackendUnavailableError(
      "inngest",
      `Inngest's event API answered ${status} to send: ${message}`,
      {
        cause: error,
        stored: "unknown",
      },
    );
  }
  if (status === 401 || status === 403) {
    return new ConfigError(
      `Inngest refused the event key (${status} to send: ${message}): check INNGEST_EVENT_KEY, the eventKey option of inngest()`,
      { cause: error },
    );
  }
  return new InngestApiError(`Inngest's event API answered ${status} to send: ${message}`, status, {
    cause: error,
  });
}

/**
 * The Switchyard error for a failed call of Inngest's REST API: network failure or 5xx is
 * BackendUnavailableError (`stored: "unknown"` for a write that may have arrived), 401/403 a
 * ConfigError naming INNGEST_SIGNING_KEY, anything else InngestApiError.
 */
export function restFailure(
  call: string,
  failure: { error: unknown; writes: boolean } | { status: number; body: string; writes: boolean },
  api: string,
): Error {
  if ("error" in failure) {
    const stage = fetchFailure(failure.error);
    return new BackendUnavailableError(
      "inngest",
      `Inngest's API at ${api} could not be reached (${call}): ${describeFailure(failure.error)}`,
      { cause: failure.error, stored: failure.writes && stage !== "not-sent" ? "unknown" : "no" },
    );
  }
  const { status } = failure;
  const answer = `${call} answered ${status}: ${failure.body.slice(0, 500)}`;
  if (status >= 500) {
    return new BackendUnavailableError("inngest", `Inngest API ${answer}`, {
      stored: failure.writes ? "unknown" : "no",
    });
  }
  if (status === 401 || status === 403) {
    return new ConfigError(
      `Inngest refused the signing key (Inngest API ${answer}): check INNGEST_SIGNING_KEY, the signingKey option of inngest()`,
    );
  }
  return new InngestApiError(`Inngest API ${answer}`, status);
}
