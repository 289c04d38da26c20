/** What `qstash(options)` takes. Each default is written in the field's JSDoc. */
export interface QStashBackendOptions {
  /** The QStash token (Upstash console → QStash → `QSTASH_TOKEN`). Required. */
  token: string;
  /**
   * The QStash API to call. Default `"https://qstash.upstash.io"` (the SDK's own default). Point it at a
   * regional endpoint, the QStash dev server or the testkit's emulator.
   */
  baseUrl?: string;
  /** Verifies `Upstash-Signature` on every delivery. Required (`QSTASH_CURRENT_SIGNING_KEY`). */
  currentSigningKey: string;
  /** Tried when the current key fails, so that rolling the keys never rejects a delivery. Required (`QSTASH_NEXT_SIGNING_KEY`). */
  nextSigningKey: string;
  /**
   * The public URL of the route that serves `jobs.handler()`, e.g. `"https://app.example.com/api/jobs"`.
   * QStash calls it; each job is delivered to it with `?job=<name>` added, and the signature covers
   * that whole URL. Required.
   */
  url: string;
  /**
   * Scopes everything this app creates on the QStash account: deduplication ids, flow-control keys,
   * schedule ids and the label that `listFailed()` filters the dead-letter queue by. Two apps sharing one
   * QStash account need different namespaces. Letters, digits, `_` and `-`. Default `"switchyard"`.
   */
  namespace?: string;
  /**
   * Seconds of clock difference tolerated when checking a signature's `nbf` and `exp` (the Receiver's
   * `clockTolerance`). Default `0`, as in the SDK: QStash signs with a 5-minute lifetime.
   */
  clockToleranceSeconds?: number;
  /**
   * How the SDK retries API calls that failed at the network level (not HTTP errors): `false` or the
   * SDK's `{ retries, backoff }`. Default: the SDK's (5 retries, exponential from 50 ms).
   */
  retry?: false | { retries?: number; backoff?: (retryCount: number) => number };
}

export const DEFAULT_NAMESPACE = "switchyard";
