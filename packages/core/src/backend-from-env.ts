import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Backend } from "./backend.js";
import { ConfigError } from "./errors/config-error.js";
import { memory } from "./memory/memory-backend.js";

/** The adapter package behind each `SWITCHYARD_BACKEND` value. Each exports `fromEnv(env): Backend`. */
export const BACKEND_PACKAGES = {
  bullmq: "@switchyard/adapter-bullmq",
  /** BullMQ on PostgreSQL (`bullmq({ postgres })`): the same package. */
  "bullmq-postgres": "@switchyard/adapter-bullmq",
  postgres: "@switchyard/adapter-postgres",
  qstash: "@switchyard/adapter-qstash",
  inngest: "@switchyard/adapter-inngest",
  trigger: "@switchyard/adapter-trigger",
} as const;

export type BackendName = "memory" | keyof typeof BACKEND_PACKAGES;

type Env = Record<string, string | undefined>;

/**
 * The backend named by `SWITCHYARD_BACKEND` (default `memory`), configured from the backend's own
 * variables (`REDIS_URL`, `DATABASE_URL`, ...). Loads the adapter package by name, so only the one in
 * use needs to be installed; a missing one is a ConfigError that says what to install.
 */
export async function backendFromEnv(env: Env = process.env): Promise<Backend> {
  const name = (env.SWITCHYARD_BACKEND ?? "").trim().toLowerCase() || "memory";
  if (name === "memory") return memory();
  if (!Object.hasOwn(BACKEND_PACKAGES, name)) {
    const known = ["memory", ...Object.keys(BACKEND_PACKAGES)].join(", ");
    throw new ConfigError(`unknown SWITCHYARD_BACKEND "${env.SWITCHYARD_BACKEND}": use one of ${known}`);
  }
  const packageName = BACKEND_PACKAGES[name as keyof typeof BACKEND_PACKAGES];
  const adapter = await importAdapter(packageName, name);
  if (typeof adapter.fromEnv !== "function") {
    throw new ConfigError(
      `${packageName} does not export fromEnv(env); is it a Switchyard adapter of this version?`,
    );
  }
  return adapter.fromEnv(env);
}

type Adapter = { fromEnv?: (env: Env) => Backend | Promise<Backend> };

/**
 * Imports the adapter as core sees it, else as the application sees it (from its main script's folder,
 * then the working directory): with pnpm's isolated node_modules, core cannot see a package the
 * application installed.
 */
async function importAdapter(packageName: string, name: string): Promise<Adapter> {
  try {
    return await import(packageName);
  } catch (error) {
    if (!isMissingPackage(error, packageName)) throw error;
    const appFolders = [process.argv[1] ? dirname(process.argv[1]) : undefined, process.cwd()];
    for (const folder of appFolders) {
      if (!folder) continue;
      let resolved: string;
      try {
        resolved = createRequire(join(folder, "noop.js")).resolve(packageName);
      } catch (appError) {
        if (isMissingPackage(appError, packageName)) continue;
        throw appError;
      }
      return await import(pathToFileURL(resolved).href);
    }
    throw new ConfigError(
      `SWITCHYARD_BACKEND=${name} needs the package ${packageName}: install it (npm install ${packageName})`,
      { cause: error },
    );
  }
}

function isMissingPackage(error: unknown, packageName: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return (
    (code === "ERR_MODULE_NOT_FOUND" ||
      code === "MODULE_NOT_FOUND" ||
      /Cannot find (module|package)/.test(message ?? "")) &&
    (message ?? "").includes(packageName)
  );
}
