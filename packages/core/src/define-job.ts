import { assertCron, assertTimezone } from "./cron.js";
import { toMilliseconds } from "./duration.js";
import { ConfigError } from "./errors/config-error.js";
import { ValidationError } from "./errors/validation-error.js";
import type {
  JobConfig,
  JobDefinition,
  PayloadSchema,
  ResolvedRetryPolicy,
  RetryPolicy,
  ScheduleEntry,
  ScheduleSpec,
} from "./interfaces.js";
import { jsonCopy } from "./json-value.js";
import { checkFunction, checkOptions, checkPositiveInteger, checkString } from "./option-checks.js";

const JOB_CONFIG_KEYS = [
  "name",
  "schema",
  "handler",
  "retry",
  "idempotencyKey",
  "idempotencyTtl",
  "schedule",
  "concurrency",
  "timeout",
];
const RETRY_POLICY_KEYS = ["maxAttempts", "backoff", "jitter"];
const BACKOFF_KEYS = ["type", "delay", "factor", "max"];
const SCHEDULE_SPEC_KEYS = ["id", "cron", "timezone", "every", "payload"];

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
  if (typeof config !== "object" || config === null) {
    throw new ConfigError(
      `defineJob() takes a job config object, got ${config === null ? "null" : typeof config}`,
    );
  }
  const { name } = config;
  checkOptions(config, `defineJob(${typeof name === "string" ? JSON.stringify(name) : ""})`, JOB_CONFIG_KEYS);
  if (typeof name !== "string" || !JOB_NAME_PATTERN.test(name)) {
    throw new ConfigError(
      `job name ${JSON.stringify(name)} must be 1-128 letters, digits, ".", "-" or "_", starting with a letter or digit`,
    );
  }
  const where = `job "${name}"`;
  if (!config.schema || typeof config.schema["~standard"]?.validate !== "function") {
    throw new ConfigError(`${where}: schema must be a Standard Schema (zod 4, valibot, arktype, ...)`);
  }
  checkFunction(config.handler, `${where}: handler`);
  if (config.idempotencyKey !== undefined) checkFunction(config.idempotencyKey, `${where}: idempotencyKey`);
  if (config.concurrency !== undefined) checkPositiveInteger(config.concurrency, `${where}: concurrency`);
  const timeoutMs =
    config.timeout === undefined ? undefined : toMilliseconds(config.timeout, `${where}: timeout`);
  if (timeoutMs === 0)
    throw new ConfigError(`${where}: timeout must be at least 1 ms (leave it out for none)`);
  const schedules = resolveSchedules(name, config.schedule);
  for (const entry of schedules) checkSchedulePayload(name, config.schema, entry);
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
    schedules,
    concurrency: config.concurrency,
    timeoutMs,
  });
}

export function resolveRetryPolicy(policy: RetryPolicy | undefined, where: string): ResolvedRetryPolicy {
  if (policy === undefined) return DEFAULT_RETRY_POLICY;
  checkOptions(policy, `${where}: retry`, RETRY_POLICY_KEYS);
  const maxAttempts =
    policy.maxAttempts === undefined ? DEFAULT_RETRY_POLICY.maxAttempts : policy.maxAttempts;
  checkPositiveInteger(maxAttempts, `${where}: retry.maxAttempts (every attempt counts, the first included)`);
  const jitter = policy.jitter ?? 0;
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) {
    throw new ConfigError(`${where}: retry.jitter must be a number from 0 to 1, got ${String(jitter)}`);
  }
  const backoff = policy.backoff;
  if (backoff !== undefined) checkOptions(backoff, `${where}: retry.backoff`, BACKOFF_KEYS);
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
  checkOptions(spec, `schedule of job "${jobName}"`, SCHEDULE_SPEC_KEYS);
  if (spec === undefined)
    throw new ConfigError(`schedule of job "${jobName}": expected a schedule, got undefined`);
  const id = spec.id ?? defaultId;
  const where = `schedule "${id}" of job "${jobName}"`;
  checkString(id, `${where}: id`);
  if (spec.cron !== undefined) checkString(spec.cron, `${where}: cron`);
  if (spec.timezone !== undefined) checkString(spec.timezone, `${where}: timezone`);
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
  return {
    id,
    job: jobName,
    cron: spec.cron,
    timezone: spec.timezone,
    everyMs,
    payload: spec.payload === undefined ? {} : spec.payload,
  };
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

/**
 * A declared schedule's payload is checked when the job is defined (validate first, act second), so
 * a bad one never reaches a running worker. Schemas that validate asynchronously are checked by
 * `work()` and `schedules.sync()` before anything starts.
 */
function checkSchedulePayload(jobName: string, schema: PayloadSchema, entry: ScheduleEntry): void {
  const copy = jsonCopy(entry.payload);
  if (!copy.ok) throw scheduleError(jobName, entry, new ValidationError(jobName, copy.issues));
  const result = schema["~standard"].validate(copy.value);
  if ("then" in result) return;
  if (result.issues)
    throw scheduleError(jobName, entry, ValidationError.fromSchemaIssues(jobName, result.issues));
}

function scheduleError(jobName: string, entry: ScheduleEntry, error: ValidationError): ConfigError {
  return new ConfigError(
    `schedule "${entry.id}" of job "${jobName}": its payload is invalid: ${error.message}`,
    {
      cause: error,
    },
  );
}
