/**
 * What `qstash(options)` takes. Each default is written in the field's JSDoc. Every field accepts
 * `undefined`, so `process.env.X` can be passed as it is (with `exactOptionalPropertyTypes` too): a
 * required field left undefined is a ConfigError naming it and its environment variable.
 */
export interface QStashBackendOptions {
  /** The QStash token (Upstash console → QStash → `QSTASH_TOKEN`). Required. */
  token: string | undefined;
  /**
   * The QStash API to call. Default: the SDK's choice, `QSTASH_URL` when set, else
   * `"https://qstash.upstash.io"`. Point it at a regional endpoint, the QStash dev server or the
   * testkit's emulator.
   */
  baseUrl?: string | undefined;
  /** Verifies `Upstash-Signature` on every delivery. Required (`QSTASH_CURRENT_SIGNING_KEY`). */
  currentSigningKey: string | undefined;
  /** Tried when the current key fails, so that rolling the keys never rejects a delivery. Required (`QSTASH_NEXT_SIGNING_KEY`). */
  nextSigningKey: string | undefined;
  /**
   * The public URL of the route that serves `jobs.handler()`, e.g. `"https://app.example.com/api/jobs"`.
   * QStash calls it; each job is delivered to it with `?job=<name>` added, and the signature covers
   * that whole URL. Required (`SWITCHYARD_PUBLIC_URL`).
   */
  url: string | undefined;
  /**
   * Scopes everything this app creates on the QStash account: deduplication ids, flow-control keys,
   * schedule ids and the label that `listFailed()` filters the dead-letter queue by. Two apps sharing one
   * QStash account need different namespaces. Letters, digits, `_` and `-`. Default `"switchyard"`.
   */
  namespace?: string | undefined;
  /**
   * Seconds of clock difference tolerated when checking a signature's `nbf` and `exp` (the Receiver's
   * `clockTolerance`). Default `0`, as in the SDK: QStash signs with a 5-minute lifetime.
   */
  clockToleranceSeconds?: number | undefined;
  /**
   * How API calls that fail at the network level (not HTTP errors) are tried again: `false`, or
   * `{ retries, backoff }` where `backoff(retryCount)` gives the milliseconds before each retry (at
   * most one minute). Default: as the QStash SDK, 5 retries after `e^retryCount * 50` ms (about 4 s
   * in all). A publish without idempotency key is not tried again once a try may have reached
   * QStash: a second try could store a second job (the error then says `stored: "unknown"`).
   */
  retry?:
    | false
    | { retries?: number | undefined; backoff?: ((retryCount: number) => number) | undefined }
    | undefined;
  /**
   * Your QStash plan's maximum message size, in bytes: a durable step whose continuation (the payload
   * and every completed step's result) would not fit fails the job at that step with
   * `UnstorableResultError`. Default `1048576` (1 MB, the free plan's; pay-as-you-go allows 10 MB).
   */
  maxMessageBytes?: number | undefined;
  /**
   * Your QStash plan's longest delay, in milliseconds (qstash/features/delay: 7 days on the free plan,
   * 1 year on pay-as-you-go). A `ctx.step.sleep` longer than this is slept in hops of at most this
   * long (one more delivery each). Default `604800000` (7 days).
   */
  maxDelayMs?: number | undefined;
}

export const DEFAULT_NAMESPACE = "switchyard";
/** The free plan's maximum message size (upstash.com/pricing/qstash). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;
/** The free plan's longest delay (upstash/docs qstash/features/delay.mdx). */
export const DEFAULT_MAX_DELAY_MS = 7 * 86_400_000;
