// The `crons` entries of vercel.json, generated from the jobs' declared schedules.
import { type AnyJobDefinition, ConfigError } from "@switchyard/core";
import { checkOptions, describeValue } from "@switchyard/core/adapter";
import { cronPath, DEFAULT_BASE_PATH, normalizeBasePath } from "./cron-path.js";
import { declaredSchedules } from "./declared-schedules.js";

/** One entry of vercel.json's `crons` (vercel.com/docs/cron-jobs; vercel.com/docs/project-configuration#crons). */
export interface VercelCronEntry {
  /** The route Vercel calls with a GET, starting with `/`. */
  path: string;
  /** Five-field cron, evaluated in UTC by Vercel. */
  schedule: string;
}

export interface VercelCronsOptions {
  /** The routes' common prefix; each schedule's route is `<basePath>/<schedule id>`. Default `"/api/cron"`. */
  basePath?: string;
}

/** Vercel's limit on a cron path (vercel.com/docs/project-configuration#crons: at most 512 characters). */
const MAX_PATH_LENGTH = 512;

/**
 * The `crons` of vercel.json for every schedule the jobs declare, one route per schedule. Throws
 * ConfigError for a schedule Vercel cannot run at its exact times (a time zone other than UTC,
 * seconds, an `every` no cron repeats exactly).
 */
export function vercelCrons(
  jobs: ReadonlyArray<AnyJobDefinition>,
  options?: VercelCronsOptions,
): { crons: VercelCronEntry[] } {
  const checked = checkOptions(options, "vercelCrons()", ["basePath"]);
  const basePath = normalizeBasePath(checked.basePath ?? DEFAULT_BASE_PATH, "vercelCrons()");
  const crons: VercelCronEntry[] = [];
  for (const [id, schedule] of declaredSchedules(jobs, "vercelCrons()")) {
    const path = cronPath(basePath, id);
    if (path.length > MAX_PATH_LENGTH) {
      throw new ConfigError(
        `vercelCrons(): the path of schedule "${id}" is longer than Vercel's ${MAX_PATH_LENGTH} characters`,
      );
    }
    crons.push({ path, schedule: schedule.cron });
  }
  return { crons };
}

/**
 * vercel.json's content with the generated crons in: every other key kept as it is, and every
 * `crons` entry outside `basePath` (written by hand) kept before the generated ones. Entries under
 * `basePath` are replaced, so a schedule removed from the code leaves vercel.json too.
 */
export function withVercelCrons(
  config: unknown,
  crons: ReadonlyArray<VercelCronEntry>,
  options?: VercelCronsOptions,
): Record<string, unknown> {
  const checked = checkOptions(options, "withVercelCrons()", ["basePath"]);
  const basePath = normalizeBasePath(checked.basePath ?? DEFAULT_BASE_PATH, "withVercelCrons()");
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ConfigError(
      `withVercelCrons(): vercel.json must hold a JSON object, got ${describeValue(config)}`,
    );
  }
  const existing = (config as { crons?: unknown }).crons ?? [];
  if (!Array.isArray(existing)) {
    throw new ConfigError(
      `withVercelCrons(): vercel.json's crons must be an array, got ${describeValue(existing)}`,
    );
  }
  const handWritten = existing.filter(
    (entry) => typeof entry?.path !== "string" || !entry.path.startsWith(`${basePath}/`),
  );
  return { ...config, crons: [...handWritten, ...crons] };
}
