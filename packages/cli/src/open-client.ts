import {
  BACKEND_PACKAGES,
  backendFromEnv,
  createSwitchyard,
  type Switchyard,
  silentLogger,
} from "@switchyard/core";
import { CommandFailure } from "./command-failure.js";

/**
 * The client the commands use: the backend `backendFromEnv(env)` configures, with no job definitions
 * (counting, listing, retrying and cancelling by id need none) and `SWITCHYARD_MIGRATE=false` unless the
 * environment says otherwise. Memory is refused: its jobs live
 * inside the application's process, out of the CLI's sight.
 */
export async function openClientFromEnv(env: Record<string, string | undefined>): Promise<Switchyard> {
  const name = (env.SWITCHYARD_BACKEND ?? "").trim().toLowerCase();
  if (name === "" || name === "memory") {
    throw new CommandFailure(
      `set SWITCHYARD_BACKEND to the application's backend (${Object.keys(BACKEND_PACKAGES).join(", ")}) and its variables; the memory backend keeps jobs inside the application's process, where the CLI cannot see them`,
    );
  }
  // Commands read and fix jobs; they never install a schema (a mistyped schema name would get an empty
  // one). SWITCHYARD_MIGRATE=true, set by the user, turns it back on.
  const migrate = env.SWITCHYARD_MIGRATE?.trim() ? env.SWITCHYARD_MIGRATE : "false";
  const backend = await backendFromEnv({ ...env, SWITCHYARD_MIGRATE: migrate });
  return createSwitchyard({ backend, jobs: [], logger: silentLogger });
}
