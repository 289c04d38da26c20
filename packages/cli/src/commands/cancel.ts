import type { ExitCode } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { CommandFailure } from "../command-failure.js";
import { whyNot } from "./retry.js";

/** `switchyard cancel <id>`: cancels a waiting, delayed or (where the backend can) running job. */
export async function cancelCommand({ args, io, client, printJson }: CommandContext): Promise<ExitCode> {
  const jobs = await client();
  const id = args.id!;
  if (!(await jobs.cancel(id))) {
    throw new CommandFailure(await whyNot(jobs, id, "cancelled", "only waiting, delayed or running jobs"));
  }
  if (args.json) printJson({ id, cancelled: true });
  else io.stdout(`Cancelled ${id}.\n`);
  return 0;
}
