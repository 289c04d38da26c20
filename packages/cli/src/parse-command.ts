import { parseArgs } from "node:util";
import { UsageError } from "./usage-error.js";

const OPTIONS = {
  json: { type: "boolean" },
  job: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  timeout: { type: "string" },
  "all-failed": { type: "boolean" },
  port: { type: "string" },
  host: { type: "string" },
  jobs: { type: "string" },
  "base-path": { type: "string" },
  write: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Each command, the options it takes and how many positional arguments (ids). */
const COMMANDS = {
  counts: { options: ["json", "job", "timeout"], positionals: 0 },
  failed: { options: ["json", "job", "limit", "cursor", "timeout"], positionals: 0 },
  retry: { options: ["json", "all-failed", "job", "limit", "timeout"], positionals: 1 },
  cancel: { options: ["json", "timeout"], positionals: 1 },
  schedules: { options: ["json", "timeout"], positionals: 0 },
  dashboard: { options: ["port", "host"], positionals: 0 },
  "vercel-crons": { options: ["jobs", "base-path", "write"], positionals: 0 },
} as const satisfies Record<string, { options: ReadonlyArray<OptionName>; positionals: number }>;

export type CommandName = keyof typeof COMMANDS;

export interface ParsedCommand {
  command: CommandName | "help";
  /** The id argument of retry and cancel. */
  id?: string;
  json: boolean;
  job?: string;
  limit?: number;
  cursor?: string;
  /** Milliseconds. */
  timeoutMs: number;
  allFailed: boolean;
  port?: number;
  host?: string;
  jobsModule?: string;
  basePath?: string;
  write?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** The longest --timeout: Node's timers hold at most 2^31-1 ms (about 24.8 days). */
const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);
/** The largest `failed --limit`: one page of `jobs.list()`, which takes at most 1000. */
const MAX_FAILED_LIMIT = 1000;

/** The command line as a command and its options; a UsageError for anything it does not take. */
export function parseCommand(argv: ReadonlyArray<string>): ParsedCommand {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help || name === "help" || (name === undefined && argv.length === 0)) {
    return { command: "help", json: false, timeoutMs: DEFAULT_TIMEOUT_MS, allFailed: false };
  }
  if (name === undefined) throw new UsageError("no command given");
  if (!Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command "${name}"`);
  const command = name as CommandName;
  const spec = COMMANDS[command];
  for (const option of Object.keys(values)) {
    if (!(spec.options as ReadonlyArray<string>).includes(option)) {
      throw new UsageError(`${command} does not take --${option}`);
    }
  }
  const allFailed = values["all-failed"] === true;
  const wantedIds = command === "retry" && allFailed ? 0 : spec.positionals;
  if (rest.length !== wantedIds) {
    throw new UsageError(
      wantedIds === 0
        ? `${command} takes no argument${rest.length ? `, got "${rest.join(" ")}"` : ""}`
        : `${command} takes one job id${command === "retry" ? " (or --all-failed)" : ""}`,
    );
  }
  if (command === "retry" && !allFailed && (values.job !== undefined || values.limit !== undefined)) {
    throw new UsageError("--job and --limit go with retry --all-failed");
  }
  if (command === "vercel-crons" && values.jobs === undefined) {
    throw new UsageError("vercel-crons needs --jobs <module>, the module that exports the job definitions");
  }
  return {
    command,
    id: rest[0],
    json: values.json === true,
    job: values.job,
    limit:
      values.limit === undefined
        ? undefined
        : positiveInteger(values.limit, "--limit", command === "failed" ? MAX_FAILED_LIMIT : undefined),
    cursor: values.cursor,
    timeoutMs:
      values.timeout === undefined
        ? DEFAULT_TIMEOUT_MS
        : positiveInteger(values.timeout, "--timeout", MAX_TIMEOUT_S) * 1000,
    allFailed,
    port: values.port === undefined ? undefined : port(values.port),
    host: values.host,
    jobsModule: values.jobs,
    basePath: values["base-path"],
    write: values.write,
  };
}

/** A whole number from 1 to `max` (any safe integer when no max is given); else a UsageError. */
function positiveInteger(text: string, option: string, max?: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${option} must be a positive integer, got "${text}"`);
  }
  if (max !== undefined && value > max)
    throw new UsageError(`${option} must be at most ${max}, got "${text}"`);
  return value;
}

function port(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65_535) throw new UsageError(`--port must be 0..65535, got "${text}"`);
  return value;
}
