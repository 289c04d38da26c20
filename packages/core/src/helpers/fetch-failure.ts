/**
 * How far a failed HTTP request got, read from the error Node's fetch (undici) threw:
 * - `"not-sent"`: it never reached the server (DNS, connection refused or timed out, unreachable
 *   network, TLS handshake): the server cannot have acted on it;
 * - `"sent"`: the connection was up, then broke (reset, closed, timed out waiting for the answer):
 *   the server may have acted on it.
 */
export type FetchFailure = "not-sent" | "sent";

/** Codes of a request that never left (getaddrinfo, connect, TLS). */
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NONAME",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Codes of a connection that broke once the request could have been written. */
const SENT = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** The lookups that happen before anything is written. */
const BEFORE_SENDING = new Set(["getaddrinfo", "connect"]);

/**
 * Where `error` (or an error in its `cause` chain) says a fetch failed; undefined when it is not a
 * network failure (an HTTP answer, a bug). A fetch failure whose cause is not recognised counts as
 * `"sent"`: when in doubt, the request may have been acted on.
 */
export function fetchFailure(error: unknown): FetchFailure | undefined {
  let fetchFailed = false;
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const { code, syscall, message } = current as { code?: unknown; syscall?: unknown; message?: unknown };
    if (current instanceof AggregateError && current.errors.length > 0) {
      // Several addresses tried at once (IPv6 and IPv4): sent if any of them got that far.
      const each = current.errors.map(fetchFailure);
      if (each.every((stage) => stage === "not-sent")) return "not-sent";
      if (each.some((stage) => stage !== undefined)) return "sent";
    }
    if (typeof code === "string") {
      if (NOT_SENT.has(code) || (typeof syscall === "string" && BEFORE_SENDING.has(syscall)))
        return "not-sent";
      if (SENT.has(code)) return "sent";
    }
    if (current instanceof TypeError && message === "fetch failed") fetchFailed = true;
    current = (current as { cause?: unknown }).cause;
  }
  return fetchFailed ? "sent" : undefined;
}

/** The messages down an error's cause chain, for an error message: `fetch failed: connect ECONNREFUSED …`. */
export function describeFailure(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.includes(message)) parts.push(message);
    if (current instanceof AggregateError && current.errors[0] !== undefined) {
      current = current.errors[0];
      continue;
    }
    current = typeof current === "object" ? (current as { cause?: unknown }).cause : undefined;
  }
  return parts.join(": ") || "unknown error";
}
