import type { Switchyard } from "@switchyard/core";
import type { ExitCode } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { CommandFailure } from "../command-failure.js";
import { importPackage } from "../import-package.js";

const DASHBOARD_PACKAGE = "@switchyard/dashboard";
const DEFAULT_PORT = 3000;
const DEFAULT_HOST = "127.0.0.1";

type ServeDashboard = (
  jobs: Switchyard,
  options: { port: number; host: string },
) => Promise<{ url?: string; close?: () => unknown } | undefined>;

/**
 * `switchyard dashboard`: serves `@switchyard/dashboard` on localhost (an optional package, loaded
 * only here) and prints its URL, until SIGINT or SIGTERM.
 */
export async function dashboardCommand({ args, io, client }: CommandContext): Promise<ExitCode> {
  const packageName = io.dashboardPackage ?? DASHBOARD_PACKAGE;
  const dashboard = await importPackage(packageName, io.cwd);
  if (!dashboard) {
    throw new CommandFailure(
      `switchyard dashboard needs the package ${packageName}: install it beside the CLI (npm install ${packageName})`,
    );
  }
  const serveDashboard = dashboard.serveDashboard as ServeDashboard | undefined;
  if (typeof serveDashboard !== "function") {
    throw new CommandFailure(
      `${packageName} exports no serveDashboard(); is it a version made for this CLI?`,
    );
  }
  const port = args.port ?? DEFAULT_PORT;
  const host = args.host ?? DEFAULT_HOST;
  const served = await serveDashboard(await client(), { port, host });
  io.stdout(`Switchyard dashboard: ${served?.url ?? `http://${host}:${port}/`}\n`);
  await (io.untilStopped ?? untilSignal)();
  await served?.close?.();
  return 0;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
