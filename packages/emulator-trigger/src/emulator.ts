import { randomBytes } from "node:crypto";
import { BatchEngine } from "./batch-engine.js";
import { createEmulatedEnvironment } from "./emulated-environment.js";
import type { EmulatorState } from "./emulator-state.js";
import { type RunningHttpServer, startHttpServer } from "./http/http-server.js";
import { PacketStore } from "./packet-store.js";
import { batchRoutes } from "./routes/batch-routes.js";
import { idempotencyRoutes } from "./routes/idempotency-routes.js";
import { packetRoutes } from "./routes/packet-routes.js";
import { runRoutes } from "./routes/run-routes.js";
import { scheduleRoutes } from "./routes/schedule-routes.js";
import { taskRoutes } from "./routes/task-routes.js";
import { waitRoutes } from "./routes/wait-routes.js";
import { RunEngine } from "./run-engine.js";
import { isFinalStatus } from "./run-status.js";
import { RunStore } from "./run-store.js";
import { ScheduleEngine } from "./schedule-engine.js";
import type { ScheduleRecord } from "./schedule-record.js";
import { installTaskCatalog } from "./task-catalog.js";
import type {
  AttemptRecord,
  EmulatedRun,
  RequestRecord,
  RunStatus,
  TriggerEmulatorOptions,
  WaitOptions,
} from "./types.js";
import { waitUntil } from "./wait-until.js";

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A local Trigger.dev: the REST API the SDK calls, plus a worker that executes the tasks in the
 * SDK's resource catalog. Create one with {@link startTriggerEmulator}.
 */
export class TriggerEmulator {
  /** Base URL, e.g. `http://127.0.0.1:43123`: the SDK's `baseURL` / `TRIGGER_API_URL`. */
  readonly url: string;
  /** The key to send as `Authorization: Bearer`: the SDK's `secretKey` / `TRIGGER_SECRET_KEY`. */
  readonly secretKey: string;
  /** Every request answered, in order. */
  readonly requests: RequestRecord[];
  readonly #state: EmulatorState;
  readonly #server: RunningHttpServer;
  #closed = false;

  /** @internal use {@link startTriggerEmulator} */
  constructor(state: EmulatorState, server: RunningHttpServer, secretKey: string, requests: RequestRecord[]) {
    this.#state = state;
    this.#server = server;
    this.url = server.url;
    this.secretKey = secretKey;
    this.requests = requests;
  }

  /** Pass to the SDK's `configure()`. */
  get sdkConfig(): { baseURL: string; secretKey: string } {
    return { baseURL: this.url, secretKey: this.secretKey };
  }

  /** The environment variables the SDK reads when not configured explicitly. */
  get env(): { TRIGGER_API_URL: string; TRIGGER_SECRET_KEY: string } {
    return { TRIGGER_API_URL: this.url, TRIGGER_SECRET_KEY: this.secretKey };
  }

  /** Every attempt of every run, in start order. */
  get attempts(): readonly AttemptRecord[] {
    return this.#state.runs.attempts;
  }

  attemptsFor(runId: string): readonly AttemptRecord[] {
    return this.#state.store.get(runId)?.attempts ?? [];
  }

  getRun(runId: string): EmulatedRun | undefined {
    return this.#state.store.get(runId);
  }

  /** Runs in creation order, optionally of one task and/or in one status. */
  listRuns(filter: { taskIdentifier?: string; status?: RunStatus } = {}): EmulatedRun[] {
    return this.#state.store
      .all()
      .filter((run) => !filter.taskIdentifier || run.taskIdentifier === filter.taskIdentifier)
      .filter((run) => !filter.status || run.status === filter.status);
  }

  /**
   * Waits until the run reaches a final status (COMPLETED, FAILED, CANCELED, CRASHED,
   * SYSTEM_FAILURE, EXPIRED, TIMED_OUT), or until `until(run)` holds.
   */
  waitForRun(
    runId: string,
    options: WaitOptions & { until?: (run: EmulatedRun) => boolean } = {},
  ): Promise<EmulatedRun> {
    const until = options.until ?? ((run: EmulatedRun) => isFinalStatus(run.status));
    return waitUntil(
      this.#state.store,
      () => {
        const run = this.#state.store.get(runId);
        return run && until(run) ? run : undefined;
      },
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      () => describeRun(this.#state.store.get(runId), runId),
    );
  }

  /** Waits for the first truthy value of `check`, re-evaluated as runs change. */
  waitFor<T>(check: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    return waitUntil(
      this.#state.store,
      check,
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      () => "the condition",
    );
  }

  /** Waits until every run is final (delayed and retry-waiting runs count as busy). */
  async waitForIdle(options: WaitOptions = {}): Promise<void> {
    await waitUntil(
      this.#state.store,
      () => this.#state.store.all().every((run) => isFinalStatus(run.status)),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      () =>
        `all runs to finish; busy: ${this.#state.store
          .all()
          .filter((run) => !isFinalStatus(run.status))
          .map((run) => describeRun(run, run.id))
          .join("; ")}`,
    );
  }

  getSchedule(scheduleId: string): Readonly<ScheduleRecord> | undefined {
    return this.#state.schedules.get(scheduleId);
  }

  listSchedules(): ReadonlyArray<Readonly<ScheduleRecord>> {
    this.#state.schedules.syncDeclarative();
    return this.#state.schedules.list();
  }

  /**
   * Fires a schedule's pending occurrence now instead of waiting for the wall clock (or the
   * occurrence `at`), exactly as its timer would: the task gets the scheduled-task payload with
   * `timestamp` = that occurrence, and the schedule moves on. Returns the new run.
   */
  async fireSchedule(scheduleId: string, at?: Date): Promise<EmulatedRun> {
    this.#state.schedules.syncDeclarative();
    return this.#state.schedules.fire(scheduleId, at);
  }

  /** Creates/updates DECLARATIVE schedules from the catalog's `schedules.task({ cron })` tasks, as a deploy does. */
  syncDeclarativeSchedules(): void {
    this.#state.schedules.syncDeclarative();
  }

  /** Starts runs parked in PENDING_VERSION whose task has since been registered. */
  pump(): void {
    this.#state.runs.pump();
  }

  /**
   * Deploys a worker version with exactly these tasks (task objects or ids; each must also be in
   * the SDK catalog to run), as `trigger.dev deploy` does with a project's tasks: runs of other
   * tasks wait in PENDING_VERSION, parked runs of these tasks start, and declarative schedules
   * follow these tasks only. Until the first deploy, every task in the catalog counts as
   * deployed. Use it to keep several emulators in one process from sharing tasks.
   */
  deploy(tasks: ReadonlyArray<string | { id: string }>): void {
    this.#state.runs.deploy(tasks.map((task) => (typeof task === "string" ? task : task.id)));
    this.#state.schedules.syncDeclarative();
  }

  /**
   * Test control, no platform equivalent: starts no new attempts (runs that are due stay QUEUED,
   * as when no machine is free) until {@link resumeExecution}. Attempts already executing go on.
   */
  pauseExecution(): void {
    this.#state.runs.dispatcher.pause();
  }

  resumeExecution(): void {
    this.#state.runs.dispatcher.resume();
  }

  /** Changes how many runs may execute at once in the environment (the `concurrencyLimit` option). */
  setConcurrencyLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrencyLimit must be a positive integer`);
    this.#state.runs.dispatcher.setEnvironmentLimit(limit);
  }

  /**
   * Test control: the machines running the executing attempts die, as a killed process would.
   * Their code gets its abort signal (the emulator cannot stop it otherwise) and whatever it
   * reports is ignored. Each run stays EXECUTING until the platform misses its heartbeats for
   * `heartbeatTimeoutMs`, then the attempt fails with TASK_RUN_STALLED_EXECUTING and, as on the
   * platform, is retried 250 ms later if attempts remain (the lost attempt counts), else the run
   * FAILS. In a DEVELOPMENT environment (`environmentType`) it is not retried and the run ends
   * CANCELED, as under `trigger dev` (see RunEngine.crashExecuting). Returns the crashed attempts.
   */
  crashExecutingAttempts(): AttemptRecord[] {
    return this.#state.runs.crashExecuting();
  }

  /** Stops the server, timers and cron ticks; aborts executing attempts. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#state.schedules.close();
    await this.#state.runs.close();
    await this.#server.close();
  }
}

function describeRun(run: EmulatedRun | undefined, runId: string): string {
  if (!run) return `run ${runId} (unknown to the emulator)`;
  const hint =
    run.status === "PENDING_VERSION"
      ? " — its task is not in the SDK resource catalog (define it after installTaskCatalog())"
      : "";
  return `run ${run.id} of ${run.taskIdentifier}: status ${run.status}, ${run.attempts.length} attempt(s)${hint}`;
}

/**
 * Starts an emulator on 127.0.0.1 (a free port unless `options.port`). Installs the SDK task
 * catalog if needed, and syncs declarative schedules from tasks already defined.
 */
export async function startTriggerEmulator(options: TriggerEmulatorOptions = {}): Promise<TriggerEmulator> {
  installTaskCatalog();
  const environment = createEmulatedEnvironment(options.environmentType ?? "PRODUCTION");
  const secretKey = options.secretKey ?? `tr_${environment.slug}_${randomBytes(10).toString("hex")}`;
  const store = new RunStore();
  const packets = new PacketStore();
  const apiClientConfig = { baseURL: "", secretKey };
  const runs = new RunEngine(store, packets, {
    attemptContext: {
      environment,
      apiClientConfig,
      retries: options.retries,
      metadataFlushIntervalMs: options.metadataFlushIntervalMs ?? 1000,
    },
    timeScale: options.timeScale ?? 1,
    delayTimeScale: options.delayTimeScale ?? 1,
    environmentLimit: options.concurrencyLimit ?? 100,
    execute: options.execute ?? true,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 300_000,
    metadataMaximumSize: options.metadataMaximumSize ?? 262_144,
  });
  const state: EmulatorState = {
    environment,
    store,
    packets,
    runs,
    batches: new BatchEngine(runs),
    schedules: new ScheduleEngine(runs, environment.type),
    baseUrl: () => apiClientConfig.baseURL,
  };
  const requests: RequestRecord[] = [];
  const server = await startHttpServer({
    routes: [
      ...taskRoutes(state),
      ...batchRoutes(state),
      ...runRoutes(state),
      ...idempotencyRoutes(state),
      ...scheduleRoutes(state),
      ...packetRoutes(state),
      ...waitRoutes(state),
    ],
    secretKey,
    validateResponses: options.validateResponses ?? true,
    port: options.port ?? 0,
    onRequest: (record) => requests.push(record),
  });
  apiClientConfig.baseURL = server.url;
  state.schedules.syncDeclarative();
  return new TriggerEmulator(state, server, secretKey, requests);
}
