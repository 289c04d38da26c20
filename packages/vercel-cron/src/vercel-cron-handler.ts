// The route Vercel Cron calls: checks the secret, then enqueues the run of the schedule the path names.
import {
  type AnyJobDefinition,
  BackendUnavailableError,
  ConfigError,
  type Duration,
  type JobState,
  type Switchyard,
} from "@switchyard/core";
import { checkOptions, sleepFor, toMilliseconds } from "@switchyard/core/adapter";
import { DEFAULT_BASE_PATH, normalizeBasePath, scheduleIdOf } from "./cron-path.js";
import { hasCronSecret } from "./cron-secret.js";
import { tickOf } from "./cron-tick.js";
import { declaredSchedules, type VercelSchedule } from "./declared-schedules.js";

export interface VercelCronOptions {
  /** The secret Vercel sends as `Authorization: Bearer <secret>`. Default `process.env.CRON_SECRET`; required. */
  secret?: string;
  /** The routes' common prefix, as given to `vercelCrons()`. Default `"/api/cron"`. */
  basePath?: string;
  /**
   * Embedded backends (memory) only: how long a call waits for the run it enqueued to end before
   * answering 202. Default `"25s"`.
   */
  runTimeout?: Duration;
  /** The clock that decides which tick a call belongs to. Default: the system clock. */
  now?: () => Date;
}

/** What a cron call enqueued, as the JSON body of its response. */
export interface VercelCronResult {
  schedule: string;
  job: string;
  /**
   * The fire time this call stands for: the schedule's last fire time at or before the call, or the
   * next one when the call comes at most 60 s before it (clock skew; cron-tick.ts).
   */
  tick: string;
  id: string;
  /** True when a call for this tick had already enqueued it (a repeated delivery). */
  deduplicated: boolean;
  /** Embedded backends: the run's state when the response was written. */
  state?: JobState;
}

const TERMINAL: ReadonlyArray<JobState> = ["completed", "failed", "cancelled"];
const POLL_MS = 25;

/**
 * A Web handler (`Request => Promise<Response>`) for Vercel Cron's calls to `<basePath>/<schedule id>`.
 * It answers 401, touching nothing, unless the request carries `Authorization: Bearer <secret>`; then
 * enqueues one run of the schedule's job with the schedule's payload, under an idempotency key made
 * of the schedule id and the tick (the schedule's last fire time at or before now, or the next one
 * when the call comes at most 60 s before it: clock skew), so a repeated call within a tick returns
 * the same job. On an embedded backend (memory) it also waits for the run
 * to end (`runTimeout`), since a serverless function does nothing once it has answered.
 *
 * `jobs` are the job definitions whose declared schedules Vercel drives; they must be registered
 * with `client`. Throws ConfigError when there is no secret, a job is not registered
 * with `client`, or a schedule Vercel cannot run exactly.
 */
export function vercelCron(
  client: Switchyard,
  jobs: ReadonlyArray<AnyJobDefinition>,
  options?: VercelCronOptions,
): (request: Request) => Promise<Response> {
  const checked = checkOptions(options, "vercelCron()", ["secret", "basePath", "runTimeout", "now"]);
  const secret = checked.secret ?? process.env.CRON_SECRET;
  if (typeof secret !== "string" || secret.trim() === "") {
    throw new ConfigError(
      "vercelCron(): no secret: set CRON_SECRET in the project's environment (Vercel then sends it with every cron call) or pass { secret }",
    );
  }
  const basePath = normalizeBasePath(checked.basePath ?? DEFAULT_BASE_PATH, "vercelCron()");
  const runTimeoutMs = toMilliseconds(checked.runTimeout ?? "25s", "vercelCron(): runTimeout");
  const now = checked.now ?? (() => new Date());
  const schedules = declaredSchedules(jobs, "vercelCron()");
  for (const job of jobs) {
    if (!client.jobNames.includes(job.name)) {
      throw new ConfigError(
        `vercelCron(): job "${job.name}" is not registered with the client: pass it in createSwitchyard({ jobs: [...] }) too`,
      );
    }
  }
  const embedded = client.capabilities.execution === "embedded";

  async function enqueueTick(schedule: VercelSchedule): Promise<VercelCronResult> {
    const tick = tickOf(schedule.cron, now());
    if (!tick) throw new ConfigError(`schedule "${schedule.entry.id}" has never fired`);
    const { id, deduplicated } = await client.enqueue(schedule.job, schedule.entry.payload, {
      idempotencyKey: `vercel-cron:${schedule.entry.id}:${tick.toISOString()}`,
    });
    const result: VercelCronResult = {
      schedule: schedule.entry.id,
      job: schedule.job.name,
      tick: tick.toISOString(),
      id,
      deduplicated,
    };
    if (embedded) result.state = await awaitEnd(id);
    return result;
  }

  /** Polls the job until it ends or runTimeout passes; its state then. */
  async function awaitEnd(id: string): Promise<JobState | undefined> {
    const deadline = Date.now() + runTimeoutMs;
    for (;;) {
      const state = (await client.get(id))?.state;
      if (state === undefined || TERMINAL.includes(state) || Date.now() >= deadline) return state;
      await sleepFor(Math.min(POLL_MS, deadline - Date.now()));
    }
  }

  return async function handleCronCall(request: Request): Promise<Response> {
    if (!(await hasCronSecret(request, secret))) return json(401, { error: "unauthorized" });
    const id = scheduleIdOf(new URL(request.url).pathname, basePath);
    const schedule = id === undefined ? undefined : schedules.get(id);
    if (!schedule) return json(404, { error: `no declared schedule at ${new URL(request.url).pathname}` });
    if (request.method !== "GET") return json(405, { error: "Vercel Cron calls with GET" }, { allow: "GET" });
    try {
      const result = await enqueueTick(schedule);
      const running = result.state !== undefined && !TERMINAL.includes(result.state);
      return json(running ? 202 : 200, result);
    } catch (error) {
      const status = error instanceof BackendUnavailableError ? 503 : 500;
      return json(status, { error: (error as Error).message });
    }
  };
}

function json(status: number, body: unknown, headers?: Record<string, string>): Response {
  return Response.json(body, { status, ...(headers ? { headers } : {}) });
}
