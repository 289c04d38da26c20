import { BackendUnavailableError, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { postgres } from "../src/index.js";
import { startFixture } from "./child-process.js";
import { createTestDatabase } from "./test-database.js";

// A worker that cannot start fails loudly: the README's worker process exits non-zero and prints why,
// and in-process `ready` rejects with a typed error, `stop()` then resolves, and nothing is left running.

let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase("start");
});

afterAll(async () => {
  await database?.drop();
});

function urlWith(change: (url: URL) => void): string {
  const url = new URL(database.url);
  change(url);
  return url.toString();
}

const UNREACHABLE = {
  "a closed port": {
    url: () => "postgres://postgres@127.0.0.1:1/test",
    error: "SWITCHYARD_BACKEND_UNAVAILABLE",
    detail: "ECONNREFUSED",
  },
  "a database that does not exist": {
    url: () =>
      urlWith((url) => {
        url.pathname = "/sy_no_such_database";
      }),
    error: "SWITCHYARD_BACKEND_UNAVAILABLE",
    detail: 'database "sy_no_such_database" does not exist',
  },
  "a malformed URL": {
    url: () => "postgres://postgres:sy_secret_password@127.0.0.1:notaport/test",
    error: "SWITCHYARD_CONFIG",
    detail: "connectionString must be a valid URL",
  },
};

describe("a worker that cannot start", () => {
  for (const [situation, { url, error, detail }] of Object.entries(UNREACHABLE)) {
    it(`the README's worker process exits non-zero with the error on stderr: ${situation}`, {
      timeout: 30_000,
    }, async () => {
      const worker = startFixture("readme-worker.ts", { DATABASE_URL: url() });
      const started = Date.now();
      const exit = await worker.exited;
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(worker.lines).not.toContain("READY");
      expect(worker.stderr()).toContain(error);
      expect(worker.stderr()).toContain(detail);
      expect(worker.stderr()).not.toContain("sy_secret_password");
      console.info(`start failure (${situation}): exit ${exit.code} after ${Date.now() - started} ms`);
    });
  }

  it("in process, ready rejects with BackendUnavailableError (the driver's 3D000 as cause), then stop() and close() resolve", async () => {
    const job = defineJob({ name: "never", schema: z.object({}), handler: () => {} });
    const url = urlWith((u) => {
      u.pathname = "/sy_no_such_database";
    });
    const jobs = createSwitchyard({
      backend: postgres({ connectionString: url }),
      jobs: [job],
      logger: silentLogger,
    });
    const worker = jobs.work({ concurrency: 2 });
    const error = await worker.ready.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toMatchObject({ backend: "postgres", cause: { code: "3D000" } });
    await expect(worker.stop({ timeout: "1s" })).resolves.toBeUndefined();
    await expect(jobs.close()).resolves.toBeUndefined();
  });
});
