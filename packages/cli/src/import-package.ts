import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Imports a package as the CLI sees it, else as the application in `cwd` sees it (a CLI installed
 * globally, or beside the app under pnpm's isolated node_modules, cannot see the app's packages).
 * Undefined when neither has it installed.
 */
export async function importPackage(name: string, cwd: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await import(name);
  } catch (error) {
    if (!isMissing(error, name)) throw error;
  }
  let resolved: string;
  try {
    resolved = createRequire(join(cwd, "noop.js")).resolve(name);
  } catch (error) {
    if (isMissing(error, name)) return undefined;
    throw error;
  }
  return import(pathToFileURL(resolved).href);
}

function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && (message ?? "").includes(`'${name}'`)
  );
}
