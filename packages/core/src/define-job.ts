import { assertCron, assertTimezone } from "./cron.js";
import { toMilliseconds } from "./duration.js";
import { ConfigError } from "./errors/config-error.js";
import type {
  JobConfig,
  JobDefinition,
  PayloadSchema,
  ResolvedRetryPolicy,
  RetryPolicy,
  ScheduleEntry,
  ScheduleSpec,
} from "./interfaces.js";

const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const DEFAULT_RETRY_POLICY: ResolvedRetryPolicy = Object.freeze({
  maxAttempts: 3,
  backoff: Object.freeze({ type: "exponential" as const, delayMs: 1_000, factor: 2 }),
  jitter: 0,
});

/**
 * Defines a job: its name, payload schema, handler and policies. Every setting is checked here, so a
 * bad cron, time zone or retry policy fails at startup with a ConfigError, not at 2 a.m.
 */
export function defineJob<S extends PayloadSchema, TResult = unknown>(
  config: JobConfig<S, TResult>,
): JobDefinition<S, TResult> {
  const { name } = config;
  if (typeof name !== "string" || !JOB_NAME_PATTERN.test(name)) {
    throw new ConfigError(
      `job name ${JSON.stringify(name)} must be 1-128 letters, digits, ".", "-" or "_", starting with a letter or digit`,
    );
  }
  const where = `job "${name}"`;
  if (!config.schema || typeof config.schema["~standard"]?.validate !== "function") {
    throw new ConfigError(`${where}: schema must be a Standard Schema (zod 4, valibot, arktype, ...)`);
  }
  if (typeof config.handler !== "function") throw new ConfigError(`${where}: handler must be a function`);
  if (config.concurrency !== undefined) assertPositiveInteger(config.concurrency, `${where}: concurrency`);
  return Object.freeze({
    name,
    schema: config.schema,
    handler: config.handler,
    retry: resolveRetryPolicy(config.retry, where),
    idempotencyKey: config.idempotencyKey,
    idempotencyTtlMs:
      config.idempotencyTtl === undefined
        ? undefined
        : toMilliseconds(config.idempotencyTtl, `${where}: idempotencyTtl`),
    schedules: resolveSchedules(name, config.schedule),
    concurrency: config.concurrency,
    timeoutMs: config.timeout === undefined ? undefined : toMilliseconds(config.timeout, `${where}: timeout`),
  });
}

export function resolveRetryPolicy(policy: RetryPolicy | undefined, where: string): ResolvedRetryPolicy {
  if (!policy) return DEFAULT_RETRY_POLICY;
  const maxAttempts =
    policy.maxAttempts === undefined ? DEFAULT_RETRY_POLICY.maxAttempts : policy.maxAttempts;
  assertPositiveInteger(
    maxAttempts,
    `${where}: retry.maxAttempts (every attempt counts, the first included)`,
  );
  const jitter = policy.jitter ?? 0;
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) {
    throw new ConfigError(`${where}: retry.jitter must be a number from 0 to 1, got ${String(jitter)}`);
  }
  const backoff = policy.backoff;
  if (!backoff) return { maxAttempts, backoff: DEFAULT_RETRY_POLICY.backoff, jitter };
  if (backoff.type !== "fixed" && backoff.type !== "exponential") {
    throw new ConfigError(
      `${where}: retry.backoff.type must be "fixed" or "exponential", got ${String(backoff.type)}`,
    );
  }
  const factor = backoff.factor ?? 2;
  if (typeof factor !== "number" || !(factor >= 1)) {
    throw new ConfigError(`${where}: retry.backoff.factor must be a number >= 1, got ${String(factor)}`);
  }
  return {
    maxAttempts,
    backoff: {
      type: backoff.type,
      delayMs: toMilliseconds(backoff.delay, `${where}: retry.backoff.delay`),
      factor,
      maxMs:
        backoff.max === undefined ? undefined : toMilliseconds(backoff.max, `${where}: retry.backoff.max`),
    },
    jitter,
  };
}

/** Checks one schedule and resolves it to a ScheduleEntry; used by defineJob and by `schedules.upsert`. */
export function resolveSchedule(jobName: string, spec: ScheduleSpec, defaultId: string): ScheduleEntry {
  const id = spec.id ?? defaultId;
  const where = `schedule "${id}" of job "${jobName}"`;
  if (!/^[A-Za-z0-9._:-]{1,200}$/.test(id)) {
    throw new ConfigError(`${where}: id must be 1-200 letters, digits, ".", ":", "-" or "_"`);
  }
  if ((spec.cron === undefined) === (spec.every === undefined)) {
    throw new ConfigError(`${where}: give exactly one of cron or every`);
  }
  if (spec.timezone !== undefined) {
    if (spec.every !== undefined) throw new ConfigError(`${where}: timezone applies to cron, not every`);
    assertTimezone(spec.timezone, where);
  }
  if (spec.cron !== undefined) assertCron(spec.cron, where);
  const everyMs = spec.every === undefined ? undefined : toMilliseconds(spec.every, `${where}: every`);
  if (everyMs !== undefined && everyMs < 1) throw new ConfigError(`${where}: every must be at least 1 ms`);
  return { id, job: jobName, cron: spec.cron, timezone: spec.timezone, everyMs, payload: spec.payload ?? {} };
}

function resolveSchedules(jobName: string, schedule: JobConfig<PayloadSchema>["schedule"]): ScheduleEntry[] {
  if (schedule === undefined) return [];
  const specs: ReadonlyArray<ScheduleSpec> = Array.isArray(schedule) ? schedule : [schedule as ScheduleSpec];
  const entries = specs.map((spec, index) =>
    resolveSchedule(jobName, spec, index === 0 ? jobName : `${jobName}:${index}`),
  );
  const ids = new Set(entries.map((entry) => entry.id));
  if (ids.size !== entries.length) throw new ConfigError(`job "${jobName}": two schedules share an id`);
  return entries;
}

function assertPositiveInteger(value: unknown, what: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
}
