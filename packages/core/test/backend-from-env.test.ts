import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { backendFromEnv, ConfigError } from "../src/index.js";

describe("backendFromEnv", () => {
  it("defaults to the memory backend", async () => {
    expect((await backendFromEnv({})).capabilities.backend).toBe("memory");
    expect((await backendFromEnv({ SWITCHYARD_BACKEND: " Memory " })).capabilities.backend).toBe("memory");
  });

  it("rejects an unknown backend name, listing the known ones", async () => {
    const error = await backendFromEnv({ SWITCHYARD_BACKEND: "rabbitmq" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'unknown SWITCHYARD_BACKEND "rabbitmq": use one of memory, bullmq, bullmq-postgres, postgres, qstash, inngest, trigger',
    );
  });

  it("names the package to install when the adapter is missing", () => {
    // A real Node process in /tmp: neither core nor the working directory can see the adapter there.
    const tsx = createRequire(import.meta.url).resolve("tsx");
    const script = fileURLToPath(new URL("./fixtures/load-bullmq-backend.ts", import.meta.url));
    const output = execFileSync(process.execPath, ["--import", pathToFileURL(tsx).href, script], {
      cwd: "/tmp",
      encoding: "utf8",
      // Not vitest's environment: its NODE_OPTIONS and loaders would resolve packages as the workspace does.
      env: { PATH: process.env.PATH ?? "" },
    });
    expect(JSON.parse(output)).toEqual({
      name: "ConfigError",
      message:
        "SWITCHYARD_BACKEND=bullmq needs the package @switchyard/adapter-bullmq: install it (npm install @switchyard/adapter-bullmq)",
    });
  });
});
