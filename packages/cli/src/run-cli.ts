import { BackendUnavailableError, type Switchyard, SwitchyardError } from "@switchyard/core";
import type { CliIo, ExitCode } from "./cli-io.js";
import type { CommandContext } from "./command-context.js";
import { CommandFailure } from "./command-failure.js";
import { cancelCommand } from "./commands/cancel.js";
import { countsCommand } from "./commands/counts.js";
import { dashboardCommand } from "./commands/dashboard.js";
import { failedCommand } from "./commands/failed.js";
import { retryCommand } from "./commands/retry.js";
import { schedulesCommand } from "./commands/schedules.js";
import { vercelCronsCommand } from "./commands/vercel-crons.js";
import { openClientFromEnv } from "./open-client.js";
import { type CommandName, type ParsedCommand, parseCommand } from "./parse-command.js";
import { USAGE } from "./usage.js";
import { UsageError } from "./usage-error.js";

const COMMANDS: Record<CommandName, (context: CommandContext) => Promise<ExitCode>> = {
  counts: countsCommand,
  failed: failedCommand,
  retry: retryCommand,
  cancel: cancelCommand,
  schedules: schedulesCommand,
  dashboard: dashboardCommand,
  "vercel-crons": vercelCronsCommand,
};

/** Commands that talk to the backend once and end: bounded by `--timeout`. */
const BOUNDED: ReadonlyArray<CommandName> = ["counts", "failed", "retry", "cancel", "schedules"];
/** How long closing the client may take before the CLI exits anyway. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Runs one `switchyard` command line; resolves with the exit code: 0 done, 1 failed (one line on
 * standard error says why), 2 bad usage (the message and the usage). Never throws.
 */
export async function runCli(argv: ReadonlyArray<string>, io: CliIo): Promise<ExitCode> {
  let args: ParsedCommand;
  try {
    args = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`switchyard: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.command === "help") {
    io.stdout(USAGE);
    return 0;
  }
  let opened: Promise<Switchyard> | undefined;
  const context: CommandContext = {
    args,
    io,
    client: () => {
      opened ??= (io.openClient ?? openClientFromEnv)(io.env);
      return opened;
    },
    printJson: (value) => io.stdout(`${JSON.stringify(value, null, 2)}\n`),
  };
  const backendName = () => (io.env.SWITCHYARD_BACKEND ?? "").trim().toLowerCase() || "memory";
  try {
    const run = COMMANDS[args.command](context);
    return BOUNDED.includes(args.command)
      ? await withinTimeout(run, args.timeoutMs, backendName(), timeoutHint(args))
      : await run;
  } catch (error) {
    io.stderr(`switchyard: ${describeError(error)}\n`);
    return 1;
  } finally {
    if (opened) await closeQuietly(opened);
  }
}

/** One line saying what went wrong, for the operator. */
function describeError(error: unknown): string {
  const message = oneLine((error as Error)?.message ?? String(error));
  if (error instanceof BackendUnavailableError)
    return `cannot reach the ${error.backend} backend: ${message}`;
  if (error instanceof CommandFailure || error instanceof SwitchyardError) return message;
  return `unexpected error: ${message}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

class BackendTimeout extends CommandFailure {}

/**
 * What a command that timed out may have done. `retry --all-failed` is one `jobs.retryFailed()` call,
 * which says what it retried only when it ends: how many were retried before the timeout is unknown.
 */
function timeoutHint(args: ParsedCommand): string {
  if (args.command !== "retry" || !args.allFailed) return "";
  return "; some failed jobs may have been retried already (retryFailed() reports how many only when it ends): run it again, it retries only the jobs still failed";
}

function withinTimeout<T>(work: Promise<T>, timeoutMs: number, backend: string, hint = ""): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BackendTimeout(
            `the ${backend} backend did not answer within ${timeoutMs / 1000}s (--timeout to wait longer)${hint}`,
          ),
        ),
      timeoutMs,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function closeQuietly(opened: Promise<Switchyard>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    timer.unref?.();
  });
  const closing = opened.then((client) => client.close()).catch(() => {});
  await Promise.race([closing, gaveUp]).finally(() => clearTimeout(timer));
}
