import type { Duration } from "@switchyard/core";
import type { Inngest } from "inngest";

/** What `inngest(options)` takes. Every field is optional; each default is written below. */
export interface InngestBackendOptions {
  /**
   * Your own Inngest client (`new Inngest({ id, ... })`). The adapter sends events and serves
   * functions with it, and reads its signing key, API base URL and mode; `appId`, `eventKey`,
   * `signingKey`, `baseUrl`, `isDev` and `logger` must then not be given.
   * Default: a client the adapter creates from those options.
   */
  client?: Inngest.Any;
  /** The Inngest app id (the client's `id`). Default `"switchyard"`. */
  appId?: string;
  /** The key events are sent with. Default: `INNGEST_EVENT_KEY`, read by the SDK. */
  eventKey?: string;
  /**
   * The key that proves calls come from Inngest (the SDK refuses an unsigned or wrongly signed
   * request in cloud mode) and authenticates the adapter's REST calls (get, cancel, retry,
   * listFailed, deduplication checks). Required in cloud mode.
   * Default: `INNGEST_SIGNING_KEY`, read by the SDK.
   */
  signingKey?: string;
  /**
   * Base URL of Inngest's event and REST APIs: a dev server (`http://localhost:8288`), a
   * self-hosted Inngest, or a test executor. Default: `INNGEST_BASE_URL`, else Inngest Cloud
   * (`https://inn.gs/` for events, `https://api.inngest.com/` for the API), as the SDK resolves it.
   */
  baseUrl?: string;
  /**
   * Dev mode, for the Inngest Dev Server: requests are not signed or checked. Never in production.
   * Default: `INNGEST_DEV` as the SDK reads it, else false (cloud mode, signatures checked).
   */
  isDev?: boolean;
  /** The SDK's logger. Default: the SDK's console logger. */
  logger?: ConstructorParameters<typeof Inngest>[0]["logger"];
  /**
   * After sending an event with an idempotency key, how long enqueue waits to see Inngest start
   * its run before it reports `deduplicated: true`. Inngest's send answers the same way for a new
   * and for a duplicate event id; only the absence of a run tells them apart. Default `"2s"`.
   */
  deduplicationCheck?: Duration;
}
