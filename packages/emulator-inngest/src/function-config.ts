import { createHash } from "node:crypto";
import { type CronSchedule, parseCronSchedule } from "./cron-trigger.js";
import { parseTimeString } from "./duration.js";
import { type CompiledExpression, compileExpression } from "./expression.js";
import type { SyncedFunction } from "./types.js";

/** Concurrency entry as the SDK syncs it (I:types.js:188-258). */
interface ConcurrencyWire {
  limit: number;
  key?: string;
  scope?: "fn" | "env" | "account";
}

/** One function of a sync body (`getConfig`, I:components/InngestFunction.js:71-141). */
export interface FunctionConfigWire {
  id: string;
  name?: string;
  triggers?: ({ event: string; expression?: string } | { cron: string; jitter?: string })[];
  steps?: Record<string, { runtime?: { url?: string }; retries?: { attempts?: number } }>;
  idempotency?: string;
  concurrency?: number | ConcurrencyWire | ConcurrencyWire[];
  cancel?: { event: string; if?: string; timeout?: string }[];
  timeouts?: { start?: string; finish?: string };
  [option: string]: unknown;
}

/** A concurrency limit ready to apply. */
export interface ConcurrencyRule {
  limit: number;
  scope: "fn" | "env" | "account";
  key?: CompiledExpression;
}

/** A synced function with its expressions compiled. */
export interface RegisteredFunction {
  info: SyncedFunction;
  /** Deterministic UUID, the `function_id` of REST v1 (G: Function.DeterministicUUID). */
  uuid: string;
  eventTriggers: { event: string; matches?: CompiledExpression }[];
  cronTriggers: CronSchedule[];
  idempotencyKey?: CompiledExpression;
  concurrency: ConcurrencyRule[];
  cancelOn: { event: string; matches?: CompiledExpression }[];
  startTimeoutMs?: number;
  finishTimeoutMs?: number;
}

/** Server defaults: 4 retries, at most 20 (G:pkg/consts/consts.go:7-10, 69-71; G:pkg/inngest/function.go:152-157). */
const DEFAULT_RETRIES = 4;
const MAX_RETRIES = 20;

/** Options that change scheduling and that this emulator does not reproduce. */
const UNEMULATED_OPTIONS = ["batchEvents", "rateLimit", "throttle", "debounce", "priority", "singleton"];

/** Raised when a function config cannot be registered. */
export class FunctionConfigError extends Error {
  override name = "FunctionConfigError";
}

function deterministicUuid(text: string): string {
  const hex = createHash("sha1").update(text).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function compile(fnSlug: string, what: string, source: string): CompiledExpression {
  try {
    return compileExpression(source);
  } catch (error) {
    throw new FunctionConfigError(
      `Function ${fnSlug}: ${what} "${source}" is not emulated: ${String(error)}`,
    );
  }
}

function durationOption(fnSlug: string, what: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseTimeString(text);
  if (ms === undefined) throw new FunctionConfigError(`Function ${fnSlug}: invalid ${what} "${text}"`);
  return ms;
}

/**
 * Turns one synced function config into the executor's form. Throws
 * {@link FunctionConfigError} for config that cannot be honoured; with
 * `rejectUnemulated`, also for options listed in {@link UNEMULATED_OPTIONS}.
 */
export function registerFunctionConfig(
  config: FunctionConfigWire,
  appId: string,
  rejectUnemulated: boolean,
): RegisteredFunction {
  const slug = config.id;
  const step = config.steps?.step ?? Object.values(config.steps ?? {})[0];
  const url = step?.runtime?.url;
  if (!slug || !url) throw new FunctionConfigError(`Function ${slug || "(no id)"} has no step runtime URL`);

  const ignoredConfig = UNEMULATED_OPTIONS.filter(
    (option) => config[option] !== undefined && config[option] !== null,
  );
  const eventTriggers: RegisteredFunction["eventTriggers"] = [];
  const cronTriggers: CronSchedule[] = [];
  for (const trigger of config.triggers ?? []) {
    if ("cron" in trigger) {
      try {
        cronTriggers.push(parseCronSchedule(trigger.cron));
      } catch (error) {
        throw new FunctionConfigError(`Function ${slug}: ${String(error)}`);
      }
      if (trigger.jitter) ignoredConfig.push("cron jitter");
    } else {
      if (trigger.event.includes("*")) ignoredConfig.push(`wildcard trigger ${trigger.event}`);
      eventTriggers.push({
        event: trigger.event,
        matches: trigger.expression ? compile(slug, "trigger expression", trigger.expression) : undefined,
      });
    }
  }
  if (rejectUnemulated && ignoredConfig.length > 0) {
    throw new FunctionConfigError(
      `Function ${slug} uses ${ignoredConfig.join(", ")}, which the local Inngest executor does not emulate`,
    );
  }

  const retries = Math.min(Math.max(step?.retries?.attempts ?? DEFAULT_RETRIES, 0), MAX_RETRIES);
  const concurrencyList =
    config.concurrency === undefined || config.concurrency === null
      ? []
      : Array.isArray(config.concurrency)
        ? config.concurrency
        : [typeof config.concurrency === "number" ? { limit: config.concurrency } : config.concurrency];

  const prefix = `${appId}-`;
  return {
    info: {
      slug,
      functionId: slug.startsWith(prefix) ? slug.slice(prefix.length) : slug,
      appId,
      name: config.name ?? slug,
      url,
      events: eventTriggers.map((t) => t.event),
      crons: cronTriggers.map((c) => c.expression),
      maxAttempts: retries + 1,
      ignoredConfig,
    },
    uuid: deterministicUuid(slug),
    eventTriggers,
    cronTriggers,
    idempotencyKey: config.idempotency ? compile(slug, "idempotency key", config.idempotency) : undefined,
    // A limit of 0 means "no limit" in Inngest's config.
    concurrency: concurrencyList
      .filter((entry) => entry.limit > 0)
      .map((entry) => ({
        limit: entry.limit,
        scope: entry.scope ?? "fn",
        key: entry.key ? compile(slug, "concurrency key", entry.key) : undefined,
      })),
    cancelOn: (config.cancel ?? []).map((entry) => ({
      event: entry.event,
      matches: entry.if ? compile(slug, "cancel expression", entry.if) : undefined,
    })),
    startTimeoutMs: durationOption(slug, "timeouts.start", config.timeouts?.start),
    finishTimeoutMs: durationOption(slug, "timeouts.finish", config.timeouts?.finish),
  };
}
