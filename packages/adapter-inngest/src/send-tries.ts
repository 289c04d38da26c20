import { AsyncLocalStorage } from "node:async_hooks";
import { fetchFailure } from "@switchyard/core/adapter";

/** What the tries of one `inngest.send` did (the SDK tries up to 5 times). */
export interface SendTries {
  /** Requests made. */
  count: number;
  /** Whether any try may have stored the events: its connection broke after the request left, or Inngest answered 5xx. */
  reached: boolean;
  /** The last answer that was not a success, with its body (the SDK's error loses the body of most). */
  refusal?: { status: number; body: string };
}

const current = new AsyncLocalStorage<SendTries>();

/**
 * The `fetch` of the Inngest client the adapter creates. It passes every request on to the global
 * fetch and, for a send run through `observeSend`, notes what each try did: the SDK retries a failed
 * send itself and only the last error comes out, which cannot tell whether an earlier try arrived.
 */
export const observingFetch: typeof fetch = async (input, init) => {
  const tries = current.getStore();
  if (tries) tries.count++;
  try {
    const response = await globalThis.fetch(input, init);
    if (tries && !response.ok) {
      if (response.status >= 500) tries.reached = true;
      const body = await response
        .clone()
        .text()
        .catch(() => "");
      tries.refusal = { status: response.status, body: body.slice(0, 500) };
    }
    return response;
  } catch (error) {
    if (tries && fetchFailure(error) !== "not-sent") tries.reached = true;
    throw error;
  }
};

/** Runs `send` with its tries noted in `tries` by `observingFetch`. */
export function observeSend<T>(tries: SendTries, send: () => Promise<T>): Promise<T> {
  return current.run(tries, send);
}
