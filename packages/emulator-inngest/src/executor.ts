import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ActivityTracker } from "./activity-tracker.js";
import { AppRegistry } from "./app-registry.js";
import { syncApp } from "./app-sync.js";
import { ConcurrencyLimiter } from "./concurrency-limiter.js";
import { nextCronFires, startCronSchedule } from "./cron-trigger.js";
import { handleEventApi } from "./event-api.js";
import { EventIntake } from "./event-intake.js";
import { ExpiringKeys } from "./expiring-keys.js";
import type { FunctionConfigWire, RegisteredFunction } from "./function-config.js";
import { readBody, sendJson, tryParseJson } from "./http-io.js";
import { handleRegisterApi } from "./register-api.js";
import { ResponseCache } from "./response-cache.js";
import { handleRestV1, type RestAnswer } from "./rest-v1.js";
import { handleRestV2 } from "./rest-v2.js";
import { RunEngine, STEP_LIMIT } from "./run-engine.js";
import { isEnded, type RunState, snapshotRun } from "./run-state.js";
import { RunStore } from "./run-store.js";
import type { StepOp } from "./sdk-call.js";
import { generateEventKey, generateSigningKey, isAuthorizedBearer } from "./signing-key.js";
import type {
  EventRecord,
  InngestExecutorOptions,
  InvocationRecord,
  RunSnapshot,
  RunStatus,
  SyncedFunction,
  SyncResult,
} from "./types.js";

/** Events the server emits when a run ends (I:helpers/consts.js:197-214). */
const LIFECYCLE_EVENTS = new Set(["inngest/function.failed", "inngest/function.finished"]);
/** Event-id and `idempotency` windows: 24 h (G:pkg/consts/consts.go:140; idempotency doc in event-intake.ts). */
const DEDUP_WINDOW_MS = 86_400_000;
/** Default of `runCreationDelayMs` (see InngestExecutorOptions). */
const RUN_CREATION_DELAY_MS = 100;

/** Options of the waiting helpers. */
export interface WaitOptions {
  /** Real milliseconds before the wait rejects. @default 10_000 */
  timeoutMs?: number;
}

/**
 * A local stand-in for the Inngest server, as the `inngest` SDK sees it: an
 * HTTP server on 127.0.0.1 that accepts events and syncs, calls the app's
 * serve handler with signed requests to run functions step by step, retries
 * them, fires crons, and answers the REST API. See the package README.
 */
export class InngestExecutor {
  /** Base URL: use it as the SDK's `baseUrl` (or `INNGEST_BASE_URL`). */
  readonly url: string;
  readonly eventKey: string;
  readonly signingKey: string;
  readonly timeScale: number;

  readonly #server: Server;
  readonly #options: InngestExecutorOptions;
  readonly #registry = new AppRegistry();
  readonly #store = new RunStore();
  readonly #tracker = new ActivityTracker();
  readonly #invocations: InvocationRecord[] = [];
  readonly #events: EventRecord[] = [];
  readonly #engine: RunEngine;
  readonly #intake: EventIntake;
  readonly #cronStops = new Map<string, (() => void)[]>();
  readonly #listeners = new Set<() => void>();
  readonly #registered: SyncResult[] = [];
  /** REST v1's answer cache; undefined with `restCache: false`. */
  readonly #cache: ResponseCache | undefined;

  private constructor(server: Server, url: string, options: InngestExecutorOptions) {
    this.#server = server;
    this.#options = options;
    this.url = url;
    this.signingKey = options.signingKey ?? generateSigningKey();
    this.eventKey = options.eventKey ?? generateEventKey();
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale >= 0)) throw new RangeError("timeScale must be a number >= 0");
    const runCreationDelayMs = options.runCreationDelayMs ?? RUN_CREATION_DELAY_MS;
    if (!(runCreationDelayMs >= 0)) throw new RangeError("runCreationDelayMs must be a number >= 0");
    const stepLimit = options.stepLimit ?? STEP_LIMIT;
    if (!Number.isInteger(stepLimit) || stepLimit < 1 || stepLimit > 10_000) {
      throw new RangeError("stepLimit must be an integer from 1 to 10000");
    }
    this.#cache = (options.restCache ?? true) ? new ResponseCache() : undefined;
    this.#engine = new RunEngine({
      registry: this.#registry,
      tracker: this.#tracker,
      limiter: new ConcurrencyLimiter(),
      invocations: this.#invocations,
      signingKey: this.signingKey,
      timeScale: this.timeScale,
      retryJitter: options.retryJitter ?? true,
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      stepLimit: options.stepLimit ?? STEP_LIMIT,
      onRunEnded: (run) => queueMicrotask(() => this.#onRunEnded(run)),
      invoke: (parent, op, expiresAt) =>
        this.#intake.acceptInvoke(
          String(op.opts?.function_id ?? ""),
          op.opts?.payload as { data?: Record<string, unknown> } | undefined,
          {
            appId: parent.appId,
            functionUuid: parent.functionUuid,
            correlationId: `${parent.id}.${op.id}`,
            expiresAt,
          },
        ),
    });
    this.#intake = new EventIntake({
      registry: this.#registry,
      store: this.#store,
      engine: this.#engine,
      idempotency: new ExpiringKeys(),
      events: this.#events,
      timeScale: this.timeScale,
      dedupWindowMs: options.idempotencyWindowMs ?? DEDUP_WINDOW_MS,
      later: (process) => this.#tracker.after(runCreationDelayMs, process),
    });
    this.#tracker.onChange(() => this.#changed());
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.#route(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: String(error), status: 500 });
      });
    });
  }

  /** Starts the executor on 127.0.0.1 (random port unless `options.port`). */
  static async start(options: InngestExecutorOptions = {}): Promise<InngestExecutor> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new InngestExecutor(server, `http://127.0.0.1:${port}`, options);
  }

  /**
   * Syncs the app served at `serveUrl` (a signed in-band `PUT`, falling back
   * to the SDK's out-of-band `/fn/register` call). Anyone may also trigger a
   * sync by sending `PUT` to the serve URL themselves.
   */
  async sync(serveUrl: string): Promise<SyncResult> {
    const before = this.#registered.length;
    const answer = await syncApp(serveUrl, this.signingKey);
    if (answer.kind === "in_band") {
      return this.#applySync(answer.appId, answer.url, answer.functions, "in_band");
    }
    const result = this.#registered.slice(before).at(-1);
    if (!result) throw new Error(`Sync of ${serveUrl}: the app answered but never called /fn/register`);
    return result;
  }

  /** Syncs every URL of `options.appUrls`. */
  syncAll(): Promise<SyncResult[]> {
    return Promise.all((this.#options.appUrls ?? []).map((url) => this.sync(url)));
  }

  /** Functions currently synced. */
  functions(): SyncedFunction[] {
    return this.#registry.all().map((fn) => structuredClone(fn.info));
  }

  /** Runs in creation order, optionally for one function (slug or id) and/or status. */
  runs(filter: { functionId?: string; status?: RunStatus } = {}): RunSnapshot[] {
    return this.#store
      .all()
      .filter(
        (run) =>
          !filter.functionId ||
          run.functionSlug === filter.functionId ||
          run.functionId === filter.functionId,
      )
      .filter((run) => !filter.status || run.status === filter.status)
      .map(snapshotRun);
  }

  run(runId: string): RunSnapshot | undefined {
    const run = this.#store.get(runId);
    return run && snapshotRun(run);
  }

  /**
   * Runs started by the event whose id `send` returned. Empty until the server has processed the
   * event (see `runCreationDelayMs`): wait with {@link waitForEvent} or {@link waitForEventRuns}.
   */
  runsForEvent(eventId: string): RunSnapshot[] {
    return this.#store.forEvent(eventId).map(snapshotRun);
  }

  /** Every call made to the app, oldest first. */
  invocations(filter: { runId?: string; functionId?: string } = {}): InvocationRecord[] {
    return this.#invocations
      .filter((call) => !filter.runId || call.runId === filter.runId)
      .filter((call) => {
        if (!filter.functionId) return true;
        const run = this.#store.get(call.runId);
        return call.functionSlug === filter.functionId || run?.functionId === filter.functionId;
      })
      .map((call) => structuredClone(call));
  }

  /** Every accepted event (including cron and lifecycle events), oldest first. */
  events(): EventRecord[] {
    return structuredClone(this.#events);
  }

  /** Cancels a run, as `DELETE /v1/runs/{id}` does; false if unknown or already ended. */
  cancel(runId: string): boolean {
    const run = this.#store.get(runId);
    return run ? this.#engine.cancel(run, "api") : false;
  }

  /**
   * Test control, not a platform feature: while an app is held, the calls
   * its runs would get are parked and the runs stay queued (`Scheduled`),
   * as if the app were not deployed yet but without the failed calls and
   * retry backoff a real down app causes. Calls in flight finish normally.
   * Conformance harnesses hold an app until its runtime is "started".
   */
  holdApp(appId: string): void {
    this.#engine.hold(appId);
  }

  /** Ends {@link holdApp}: the parked calls are made now, oldest first. */
  releaseApp(appId: string): void {
    this.#engine.release(appId);
  }

  /**
   * Fires a cron function now, as its schedule would (event
   * `inngest/scheduled.timer`). Returns the run, or undefined if deduplicated.
   */
  fireCron(functionId: string): RunSnapshot | undefined {
    const fn = this.#function(functionId);
    const schedule = fn.cronTriggers[0];
    if (!schedule) throw new Error(`Function ${functionId} has no cron trigger`);
    const now = new Date();
    const record = this.#intake.acceptCron(fn, schedule.expression, now, now.toISOString());
    return record.runIds[0] ? this.run(record.runIds[0]) : undefined;
  }

  /** The next `count` times the function's first cron trigger fires, in its `TZ=` zone. */
  nextCronFires(functionId: string, count = 1, from = new Date()): Date[] {
    const schedule = this.#function(functionId).cronTriggers[0];
    if (!schedule) throw new Error(`Function ${functionId} has no cron trigger`);
    return nextCronFires(schedule, count, from);
  }

  /**
   * Resolves once no call is in flight and no retry, sleep, delayed run or
   * timeout is pending (cron schedules excepted).
   */
  waitForIdle(options: WaitOptions = {}): Promise<void> {
    return this.#tracker.whenIdle(options.timeoutMs ?? 10_000);
  }

  /** Resolves with the run once it has ended (Completed, Failed or Cancelled). */
  async waitForRun(runId: string, options: WaitOptions = {}): Promise<RunSnapshot> {
    await this.#waitUntil(
      () => {
        const run = this.#store.get(runId);
        return run !== undefined && isEnded(run);
      },
      options.timeoutMs ?? 10_000,
      `run ${runId} to end`,
    );
    return this.run(runId) as RunSnapshot;
  }

  /** Resolves with the runs an event started once the server has created them (they may still be going). */
  async waitForEvent(eventId: string, options: WaitOptions = {}): Promise<RunSnapshot[]> {
    await this.#waitUntil(
      () => this.#processed(eventId),
      options.timeoutMs ?? 10_000,
      `event ${eventId} to be processed`,
    );
    return this.runsForEvent(eventId);
  }

  /** Resolves with the runs an event started once they were created and all have ended. */
  async waitForEventRuns(eventId: string, options: WaitOptions = {}): Promise<RunSnapshot[]> {
    await this.#waitUntil(
      () => this.#processed(eventId) && this.#store.forEvent(eventId).every(isEnded),
      options.timeoutMs ?? 10_000,
      `the runs of event ${eventId} to end`,
    );
    return this.runsForEvent(eventId);
  }

  /** Stops crons, timers and the HTTP server. Runs in flight are abandoned. */
  async close(): Promise<void> {
    for (const stops of this.#cronStops.values()) for (const stop of stops) stop();
    this.#cronStops.clear();
    this.#tracker.close();
    this.#cache?.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #function(functionId: string): RegisteredFunction {
    const fn =
      this.#registry.get(functionId) ?? this.#registry.all().find((f) => f.info.functionId === functionId);
    if (!fn) throw new Error(`No synced function ${functionId}`);
    return fn;
  }

  #applySync(
    appId: string,
    url: string,
    configs: FunctionConfigWire[],
    kind: SyncResult["kind"],
  ): SyncResult {
    const reject = (this.#options.unsupportedConfig ?? "reject") === "reject";
    const registered = this.#registry.sync(appId, url, configs, reject);
    for (const stop of this.#cronStops.get(appId) ?? []) stop();
    this.#cronStops.set(
      appId,
      registered.flatMap((fn) =>
        fn.cronTriggers.map((schedule) =>
          startCronSchedule(schedule, (scheduledAt) => {
            const current = this.#registry.get(fn.info.slug);
            // The scheduled time, to the second, is the cron event's id (G:pkg/execution/executor/service.go:1069).
            if (current) {
              const id = scheduledAt.toISOString().replace(/\.\d{3}Z$/, "Z");
              this.#intake.acceptCron(current, schedule.expression, scheduledAt, id);
            }
          }),
        ),
      ),
    );
    const result: SyncResult = {
      appId,
      url,
      kind,
      functions: registered.map((fn) => structuredClone(fn.info)),
    };
    this.#registered.push(result);
    return result;
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const path = url.pathname;
    const eventPath = /^\/e\/([^/]+)$/.exec(path);
    if (eventPath && req.method === "POST") {
      await handleEventApi(req, res, decodeURIComponent(eventPath[1] as string), this.eventKey, this.#intake);
      return;
    }
    if (path === "/fn/register" && req.method === "POST") {
      await handleRegisterApi(req, res, this.signingKey, (appId, appUrl, configs) => {
        this.#applySync(appId, appUrl, configs, "out_of_band");
      });
      return;
    }
    if (path.startsWith("/v1/") || path.startsWith("/v2/")) {
      if (!isAuthorizedBearer(req.headers.authorization, this.signingKey)) {
        if (path.startsWith("/v1/")) sendJson(res, 401, { error: "No auth found", status: 401 });
        else
          sendJson(res, 401, { errors: [{ code: "invalid_signing_key", message: "Invalid signing key" }] });
        return;
      }
      const checkpoint = /^\/v1\/checkpoint\/([^/]+)\/async$/.exec(path);
      if (checkpoint && req.method === "POST") {
        await this.#checkpoint(req, res, decodeURIComponent(checkpoint[1] as string));
        return;
      }
      if (this.#serveCached(req, res, url)) return;
      const method = req.method ?? "GET";
      const answer =
        handleRestV1(method, url, this.#store, this.#engine, this.#events) ??
        handleRestV2(method, url, this.#store, this.#engine, (run) => this.#intake.rerun(run));
      if (answer) {
        this.#writeRest(req, res, url, answer);
        return;
      }
    }
    sendJson(res, 404, { error: `No route for ${req.method} ${path}`, status: 404 });
  }

  /**
   * A run ended: emit `inngest/function.finished`, plus
   * `inngest/function.failed` / `.cancelled` with the run id as event id,
   * carrying `{function_id, run_id, event, events, error | result}`
   * (G:pkg/execution/executor/finalize.go:556-620, executor.go:2493-2526).
   * `onFailure` handlers are functions triggered by `function.failed`.
   * Runs of lifecycle events do not emit them again.
   */
  #onRunEnded(run: RunState): void {
    this.#changed();
    this.#resumeInvoker(run);
    if (this.#tracker.closed || LIFECYCLE_EVENTS.has(run.event.name)) return;
    const data: Record<string, unknown> = {
      function_id: run.functionSlug,
      run_id: run.id,
      event: run.event,
      events: [run.event],
    };
    if (run.status === "Failed") data.error = run.error;
    if (run.status === "Completed") data.result = run.output;
    this.#intake.accept({ name: "inngest/function.finished", data });
    if (run.status === "Failed") this.#intake.accept({ name: "inngest/function.failed", id: run.id, data });
    if (run.status === "Cancelled")
      this.#intake.accept({ name: "inngest/function.cancelled", id: run.id, data });
  }

  /** `POST /v1/checkpoint/{runId}/async` (see RunEngine.checkpoint); answers `{}` or `{error, status}`. */
  async #checkpoint(req: IncomingMessage, res: ServerResponse, runId: string): Promise<void> {
    const body = tryParseJson(await readBody(req)) as { qi_id?: unknown; steps?: unknown } | undefined;
    if (!body || !Array.isArray(body.steps)) {
      sendJson(res, 400, { error: "invalid request body", status: 400 });
      return;
    }
    const answer = this.#engine.checkpoint(
      this.#store.get(runId),
      typeof body.qi_id === "string" ? body.qi_id : "",
      body.steps as StepOp[],
    );
    if (answer.status === 200) sendJson(res, 200, {});
    else sendJson(res, answer.status, { error: answer.message, status: answer.status });
  }

  /** A child of `step.invoke` ended: its parent resumes (the correlation id is `<parent run>.<op id>`). */
  #resumeInvoker(child: RunState): void {
    const meta = (child.event.data as { _inngest?: { correlation_id?: unknown } })._inngest;
    const correlation = typeof meta?.correlation_id === "string" ? meta.correlation_id : undefined;
    if (child.event.name !== "inngest/function.invoked" || !correlation) return;
    const dot = correlation.indexOf(".");
    const parent = this.#store.get(correlation.slice(0, dot));
    if (parent) this.#engine.resumeInvoke(parent, correlation.slice(dot + 1), child);
  }

  /** Answers a `GET /v1` request from the cache, with the stored body alone (G:pkg/api/apiv1/cache.go:57-79). */
  #serveCached(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (!this.#cache || req.method !== "GET" || !url.pathname.startsWith("/v1/")) return false;
    const body = this.#cache.get(ResponseCache.keyOf(url.pathname + url.search, req.headers.authorization));
    if (body === undefined) return false;
    res.writeHead(200, { "content-length": Buffer.byteLength(body) });
    res.end(body);
    return true;
  }

  /** Writes a REST answer; a cacheable `GET /v1` answer is stored with its max-age (`Cache-Control`). */
  #writeRest(req: IncomingMessage, res: ServerResponse, url: URL, answer: RestAnswer): void {
    const body = answer.body === undefined ? "" : JSON.stringify(answer.body);
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    };
    if (answer.maxAgeSeconds) {
      headers["cache-control"] = `private, max-age=${answer.maxAgeSeconds}`;
      if (this.#cache && req.method === "GET" && url.pathname.startsWith("/v1/")) {
        const key = ResponseCache.keyOf(url.pathname + url.search, req.headers.authorization);
        this.#cache.set(key, body, answer.maxAgeSeconds);
      }
    }
    res.writeHead(answer.status, headers);
    res.end(body);
  }

  #processed(eventId: string): boolean {
    return this.#events.some((record) => record.internalId === eventId && record.processedAt !== undefined);
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  #waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(deadline);
        this.#listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      const deadline = setTimeout(
        () => finish(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      this.#listeners.add(check);
      check();
    });
  }
}

/** Starts an {@link InngestExecutor}; same as `InngestExecutor.start(options)`. */
export function startInngestExecutor(options: InngestExecutorOptions = {}): Promise<InngestExecutor> {
  return InngestExecutor.start(options);
}
