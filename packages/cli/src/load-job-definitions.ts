import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { AnyJobDefinition } from "@switchyard/core";
import { CommandFailure } from "./command-failure.js";

/**
 * The job definitions a module exports: every export that is a job made by `defineJob()`, or an
 * array of them (`export const jobs = [a, b]`), each once. A `.ts` module needs a TypeScript loader
 * (run the CLI with `node --import tsx`).
 */
export async function loadJobDefinitions(specifier: string, cwd: string): Promise<AnyJobDefinition[]> {
  const url = pathToFileURL(isAbsolute(specifier) ? specifier : resolve(cwd, specifier)).href;
  let exports: Record<string, unknown>;
  try {
    exports = await import(url);
  } catch (error) {
    throw new CommandFailure(`cannot load the jobs module ${specifier}: ${(error as Error).message}`);
  }
  const found = new Set<AnyJobDefinition>();
  for (const value of Object.values(exports)) {
    for (const item of Array.isArray(value) ? value : [value]) if (isJobDefinition(item)) found.add(item);
  }
  if (found.size === 0) {
    throw new CommandFailure(
      `${specifier} exports no job made by defineJob(): export the jobs (or an array of them)`,
    );
  }
  return [...found];
}

function isJobDefinition(value: unknown): value is AnyJobDefinition {
  const job = value as Partial<AnyJobDefinition> | null;
  return (
    typeof job === "object" &&
    job !== null &&
    typeof job.name === "string" &&
    typeof job.handler === "function" &&
    Array.isArray(job.schedules) &&
    typeof job.schema === "object"
  );
}
