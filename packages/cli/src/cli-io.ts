import type { Switchyard } from "@switchyard/core";

/** What the CLI touches outside itself; `runCli` takes it so tests can run commands in-process. */
export interface CliIo {
  /** Writes to standard output (tables, JSON). */
  stdout(text: string): void;
  /** Writes to standard error (messages, usage). */
  stderr(text: string): void;
  /** The environment that configures the backend, as for `backendFromEnv()`. */
  env: Record<string, string | undefined>;
  /** The folder relative paths (`--jobs`, `--write`) are resolved from. */
  cwd: string;
  /** Opens the client the commands use. Default: `backendFromEnv(env)` with no job definitions. */
  openClient?: (env: Record<string, string | undefined>) => Promise<Switchyard>;
  /** The package `switchyard dashboard` loads. Default `"@switchyard/dashboard"`. */
  dashboardPackage?: string;
  /** Resolves when the dashboard should stop (default: SIGINT or SIGTERM). */
  untilStopped?: () => Promise<void>;
}

/** A command's outcome: the process exit code. 0 done, 1 failed, 2 bad usage. */
export type ExitCode = 0 | 1 | 2;
