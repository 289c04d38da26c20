import type { Duration } from "@switchyard/core";
import type { Inngest } from "inngest";

/**
 * What `inngest(options)` takes. Every field is optional and accepts `undefined` (so `process.env.X`
 * can be passed as it is, with `exactOptionalPropertyTypes` too); each default is written below.
 */
export interface InngestBackendOptions {
  /**
   * Your own Inngest client (`new Inngest({ id, ... })`). The adapter sends events and serves
   * functions with it, and reads its signing key, API base URL and mode; `appId`, `eventKey`,
   * `signingKey`, `baseUrl`, `isDev` and `logger` must then not be given.
   * Default: a client the adapter creates from those options.
   */
  client?: Inngest.Any | undefined;
  /** The Inngest app id (the client's `id`). Default `"switchyard"`. */
  appId?: string | undefined;
  /** The key events are sent with. Default: `INNGEST_EVENT_KEY`, read by the SDK. */
  eventKey?: string | undefined;
  /**
   * The key that proves calls come from Inngest (the SDK refuses an unsigned or wrongly signed
   * request in cloud mode) and authenticates the adapter's REST calls (get, cancel, retry,
   * listFailed, deduplication checks). Required in cloud mode.
   * Default: `INNGEST_SIGNING_KEY`, read by the SDK.
   */
  signingKey?: string | undefined;
  /**
   * Base URL of Inngest's event and REST APIs: a dev server (`http://localhost:8288`), a
   * self-hosted Inngest, or a test executor. Default: `INNGEST_BASE_URL`, else Inngest Cloud
   * (`https://inn.gs/` for events, `https://api.inngest.com/` for the API), as the SDK resolves it.
   */
  baseUrl?: string | undefined;
  /**
   * Dev mode, for the Inngest Dev Server: requests are not signed or checked. Never in production.
   * Default: `INNGEST_DEV` as the SDK reads it, else false (cloud mode, signatures checked).
   */
  isDev?: boolean | undefined;
  /** The SDK's logger. Default: the SDK's console logger. */
  logger?: ConstructorParameters<typeof Inngest>[0]["logger"] | undefined;
  /**
   * Inngest creates a run after its event API has answered. How long the adapter waits for a run
   * that does not show yet: a keyed enqueue whose earlier event with the key has no run yet (to
   * tell whether this one is a duplicate; it reports `deduplicated: false` if none shows), and a
   * cancel of a job sent moments ago. A keyed enqueue that finds no earlier event, or one that
   * already has its run, does not wait. At most one minute. Default `"2s"`.
   */
  runCreationWait?: Duration | undefined;
}
