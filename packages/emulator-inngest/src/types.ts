/** Public types of the local Inngest executor. */

/** Options of {@link InngestExecutor.start}. */
export interface InngestExecutorOptions {
  /**
   * Signing key shared with the SDK (`signingKey` client option or
   * `INNGEST_SIGNING_KEY`). Signs every call to the app and authenticates
   * `/fn/register` and the REST API.
   * @default a fresh `signkey-test-<64 hex>`
   */
  signingKey?: string;
  /**
   * Event key accepted at `POST /e/{eventKey}` (`eventKey` client option or
   * `INNGEST_EVENT_KEY`); any other key is answered 401 like the real server.
   * @default a fresh random key
   */
  eventKey?: string;
  /**
   * Multiplier applied to every wait the server chooses: retry backoff
   * (15 s, 30 s, 1 m, …) and its 0–30 s jitter, `Retry-After`, a future event
   * `ts`, `step.sleep`, and function `timeouts`. `0.001` turns the first 15 s
   * backoff into 15 ms. Cron schedules follow the wall clock and are not
   * scaled (use {@link InngestExecutor.fireCron} to fire one now).
   * @default 1 (real Inngest timing)
   */
  timeScale?: number;
  /**
   * Add Inngest's random 0–30 s jitter to retry backoff (scaled like the
   * rest). Turn off for tests that assert exact delays.
   * @default true
   */
  retryJitter?: boolean;
  /**
   * Serve URLs that {@link InngestExecutor.sync} syncs when called without
   * an argument.
   * @default []
   */
  appUrls?: string[];
  /**
   * What a sync does with a function that uses configuration the emulator
   * does not emulate (`batchEvents`, `rateLimit`, `throttle`, `debounce`,
   * `priority`, `singleton`): `"reject"` refuses the sync with an error
   * naming the function and option; `"ignore"` keeps the function and lists
   * the options in {@link SyncedFunction.ignoredConfig}.
   * @default "reject"
   */
  unsupportedConfig?: "reject" | "ignore";
  /**
   * How long an event `id` (and a function `idempotency` key) suppresses new
   * runs, in real milliseconds (not scaled). Inngest's window is 24 h.
   * @default 86_400_000
   */
  idempotencyWindowMs?: number;
  /**
   * How long after the event API answers the server creates the runs an event starts, in real
   * milliseconds (not scaled). Inngest creates runs asynchronously: the event API publishes the
   * event to a stream and returns its ids before any run exists (G:pkg/devserver/service.go:387-425,
   * `HandleEvent` publishes and returns the internal id). The delay here is a fixed stand-in for that
   * latency [inferred: the platform's latency varies]. `0` still creates them after the answer.
   * @default 100
   */
  runCreationDelayMs?: number;
  /**
   * Serve `GET /v1` answers from a cache for the time the handler allows, as the server's API
   * middleware does: `/v1/events/{id}/runs` 15 s, `/v1/events/{id}` 5 s, `/v1/runs/{id}` 3 s,
   * `/v1/runs/{id}/jobs` 5 s (G:pkg/api/apiv1/events.go:139, 192; runs.go:48, 140; mechanism
   * G:pkg/api/apiv1/cache.go:40-150,
   * mounted by G:pkg/devserver/devserver.go:653-659). Real milliseconds, not scaled.
   * @default true
   */
  restCache?: boolean;
  /**
   * TCP port on 127.0.0.1.
   * @default 0 (a random free port)
   */
  port?: number;
  /**
   * Timeout of one call to the app, in real milliseconds (not scaled); a
   * call that times out counts as a failed attempt.
   * @default 60_000
   */
  requestTimeoutMs?: number;
  /**
   * Steps one run may take before the server fails it (`InngestErrFunctionOverflowed`): Inngest's
   * default is 1,000, and its executor takes a per-function limit up to 10,000
   * (G:pkg/execution/executor/executor.go:274, validate.go:64-95). @default 1000
   */
  stepLimit?: number;
}

/** An event as stored and as passed to functions. */
export interface InngestEvent {
  name: string;
  data: Record<string, unknown>;
  /** The sender's id (idempotency key), else the server's internal id. */
  id: string;
  /** Event time in epoch milliseconds. */
  ts: number;
  v?: string;
  [extra: string]: unknown;
}

/** An event accepted by the executor. */
export interface EventRecord {
  /** Server id (ULID) returned by `inngest.send` in `ids`. */
  internalId: string;
  event: InngestEvent;
  receivedAt: Date;
  /** Ids of the runs this event started (empty when deduplicated or unmatched, and until `processedAt`). */
  runIds: string[];
  /**
   * When the server created the runs of this event (see `runCreationDelayMs`); absent until then.
   * Cron events are processed at once.
   */
  processedAt?: Date;
  /** Functions whose run this event did not start because of idempotency (event id or `idempotency` key). */
  skippedFunctions: string[];
}

/**
 * Run status names of the Inngest REST API v1 (G:pkg/enums/run_status.go).
 * `Scheduled`: accepted, not yet called (future `ts`, waiting for a
 * concurrency slot before its first call).
 */
export type RunStatus = "Scheduled" | "Running" | "Completed" | "Failed" | "Cancelled";

/** A read-only copy of a run's state. */
export interface RunSnapshot {
  /** Run id (ULID), `ctx.run_id` / `runId` in the function. */
  id: string;
  /** Full function slug, `<appId>-<functionId>` (the `fnId` the SDK serves). */
  functionSlug: string;
  /** Function id without the app prefix, as the user wrote it. */
  functionId: string;
  appId: string;
  status: RunStatus;
  /** Internal id of the triggering event (what `send` returned). */
  eventId: string;
  event: InngestEvent;
  /** Cron expression, for cron-triggered runs. */
  cron?: string;
  /** For a rerun: the run it repeats (the first of the chain). */
  originalRunId?: string;
  queuedAt: Date;
  startedAt?: Date;
  endedAt?: Date;
  /** Completed: the function's return value. Failed: the SDK's serialised error. */
  output?: unknown;
  /** Failed: the SDK's serialised error `{name, message, stack, …}`. */
  error?: unknown;
  /** Why it was cancelled: `"api"`, `"event"`, `"timeout"` or `"executor"`. */
  cancelReason?: string;
  /** Memoised step state, keyed by hashed step id, as sent to the SDK. */
  steps: Record<string, unknown>;
  /** Number of calls made to the app for this run. */
  calls: number;
  /** Total attempts allowed per step: `retries + 1` (default 5). */
  maxAttempts: number;
}

/** One call the executor made to the app. */
export interface InvocationRecord {
  runId: string;
  functionSlug: string;
  /** `"step"` for discovery, else the hashed id of the planned step run. */
  stepId: string;
  /** `ctx.attempt` sent (0-based, per step). */
  attempt: number;
  startedAt: Date;
  durationMs: number;
  /** HTTP status, absent when the app could not be reached. */
  httpStatus?: number;
  /** How the answer was read. */
  outcome: "completed" | "steps" | "error" | "unreachable";
  /** Ops of a 206 answer. */
  ops?: { op: string; id: string; name?: string }[];
  /** `X-Inngest-No-Retry` of the answer. */
  noRetry?: boolean;
  /** `Retry-After` of the answer. */
  retryAfter?: string;
  /** Error body or transport error message. */
  error?: unknown;
}

/** A function as synced from an app. */
export interface SyncedFunction {
  /** `<appId>-<functionId>`. */
  slug: string;
  functionId: string;
  appId: string;
  name: string;
  /** URL the executor calls (`steps.step.runtime.url`). */
  url: string;
  /** Event names that trigger it. */
  events: string[];
  /** Cron expressions, with any `TZ=` prefix. */
  crons: string[];
  /** `retries + 1`; Inngest's default is 4 retries, so 5. */
  maxAttempts: number;
  /** Options present in the config that are not emulated (see `unsupportedConfig`). */
  ignoredConfig: string[];
}

/** Result of one sync. */
export interface SyncResult {
  appId: string;
  url: string;
  /** How the SDK answered: in-band (functions in the reply) or out-of-band (it called `/fn/register`). */
  kind: "in_band" | "out_of_band";
  functions: SyncedFunction[];
}
