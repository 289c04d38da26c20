import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { vercelCrons, withVercelCrons } from "@switchyard/vercel-cron";
import type { ExitCode } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { CommandFailure } from "../command-failure.js";
import { loadJobDefinitions } from "../load-job-definitions.js";

/**
 * `switchyard vercel-crons --jobs <module>`: the crons of vercel.json for the declared schedules;
 * printed, or with `--write <file>` merged into that file (its other keys and hand-written crons kept).
 */
export async function vercelCronsCommand({ args, io }: CommandContext): Promise<ExitCode> {
  const jobs = await loadJobDefinitions(args.jobsModule!, io.cwd);
  const options = args.basePath === undefined ? {} : { basePath: args.basePath };
  const { crons } = vercelCrons(jobs, options);
  if (args.write === undefined) {
    io.stdout(`${JSON.stringify({ crons }, null, 2)}\n`);
    return 0;
  }
  const file = resolve(io.cwd, args.write);
  const config = withVercelCrons(await readConfig(file), crons, options);
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  io.stdout(`Wrote ${crons.length} cron${crons.length === 1 ? "" : "s"} to ${args.write}.\n`);
  return 0;
}

/** The file's JSON, or `{}` when there is no file yet. */
async function readConfig(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return {};
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CommandFailure(`${file} is not valid JSON (${(error as Error).message}); nothing written`);
  }
}
