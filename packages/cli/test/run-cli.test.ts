// runCli in-process, on the memory backend (which supports counts, list and retryFailed), and the
// commands that need no backend: dashboard without its package, vercel-crons.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createSwitchyard,
  defineJob,
  memory,
  PermanentError,
  type Switchyard,
  silentLogger,
} from "@switchyard/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type CliIo, runCli } from "../src/index.js";
import { runBin } from "./fixtures/run-bin.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

const charge = defineJob({
  name: "card.charge",
  schema: z.object({ n: z.number() }),
  retry: { maxAttempts: 1 },
  handler: (payload) => {
    throw new PermanentError(`declined ${payload.n}`);
  },
});

/** Runs a command line against `client`; what it printed and its exit code. */
async function run(argv: string[], client?: Switchyard, extra: Partial<CliIo> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {},
    cwd: fixtures,
    // The CLI closes the client it opened; this one is the test's, used again after.
    ...(client ? { openClient: async () => ({ ...client, close: async () => {} }) } : {}),
    ...extra,
  });
  return { code, stdout, stderr };
}

describe("runCli on memory", () => {
  let jobs: Switchyard;
  beforeEach(async () => {
    jobs = createSwitchyard({ backend: memory(), jobs: [charge], logger: silentLogger });
    const worker = jobs.work();
    await jobs.enqueueMany(
      charge,
      [1, 2, 3, 4, 5].map((n) => ({ n })),
    );
    while ((await jobs.counts()).failed !== 5) await new Promise((resolve) => setTimeout(resolve, 10));
    await worker.stop();
    await jobs.enqueue(charge, { n: 6 }, { delay: "1h" });
  });
  afterEach(() => jobs.close());

  it("counts: a table of the counted states, and --json", async () => {
    const table = await run(["counts"], jobs);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(table.stdout).toBe(
      "STATE      JOBS\nwaiting    0\ndelayed    1\nactive     0\ncompleted  0\nfailed     5\ncancelled  0\n",
    );
    const json = await run(["counts", "--json", "--job", "card.charge"], jobs);
    expect(JSON.parse(json.stdout)).toEqual({
      waiting: 0,
      delayed: 1,
      active: 0,
      completed: 0,
      failed: 5,
      cancelled: 0,
    });
  });

  it("failed pages with --limit and the cursor it prints", async () => {
    const first = await run(["failed", "--limit", "2"], jobs);
    expect(first.code).toBe(0);
    const lines = first.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4); // header, two jobs, the next page's command
    const cursor = lines[3]!.match(/^More: switchyard failed --cursor (\S+)$/)?.[1];
    expect(cursor).toBeDefined();
    const rest = JSON.parse(
      (await run(["failed", "--json", "--limit", "10", "--cursor", cursor!], jobs)).stdout,
    );
    expect(rest.jobs).toHaveLength(3);
    expect(rest.cursor).toBeUndefined();
    const seen = new Set([
      ...lines.slice(1, 3).map((line) => line.split(" ")[0]),
      ...rest.jobs.map((job: { id: string }) => job.id),
    ]);
    expect(seen.size).toBe(5);
  });

  it("retry --all-failed --job retries each failed job once and says how many", async () => {
    const done = await run(["retry", "--all-failed", "--job", "card.charge", "--limit", "3"], jobs);
    expect(done).toEqual({ code: 0, stdout: "Retried 3 failed jobs.\n", stderr: "" });
    expect((await jobs.counts()).failed).toBe(2);
    const json = JSON.parse((await run(["retry", "--all-failed", "--json"], jobs)).stdout);
    expect(json.retried).toHaveLength(2);
    expect((await jobs.counts()).waiting).toBe(5);
  });

  it("a --limit above one page of failed jobs, or a --timeout past Node's timers, is a usage error (exit 2)", async () => {
    for (const args of [
      ["failed", "--limit", "5000"],
      ["failed", "--limit", "1001"],
      ["counts", "--timeout", "2147484"],
      ["retry", "--all-failed", "--timeout", "99999999999"],
    ]) {
      const refused = await run(args, jobs);
      expect(refused.code, args.join(" ")).toBe(2);
      expect(refused.stderr, args.join(" ")).toMatch(/^switchyard: --(limit|timeout) must be at most \d+/);
    }
    expect((await run(["failed", "--limit", "1000", "--json"], jobs)).code).toBe(0);
    expect((await run(["counts", "--timeout", "2147483"], jobs)).code).toBe(0);
    expect((await run(["retry", "--all-failed", "--limit", "5000", "--json"], jobs)).code).toBe(0);
  });

  it("retry --all-failed that times out says failed jobs may have been retried, and to run it again", async () => {
    const hanging = { ...jobs, retryFailed: () => new Promise<never>(() => {}) };
    const result = await run(["retry", "--all-failed", "--timeout", "1"], hanging);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /did not answer within 1s .*some failed jobs may have been retried already/,
    );
    expect(result.stderr).toMatch(/run it again, it retries only the jobs still failed\n$/);
  });

  it("a backend without a feature: exit 1 with the NotSupportedError's one line", async () => {
    const features = { ...memory().capabilities.features, "jobs.counts": "unsupported" as const };
    // counts() reads the backend's manifest, so the backend's own is what must lack the feature.
    const backend = memory();
    Object.defineProperty(backend, "capabilities", { value: { ...backend.capabilities, features } });
    const client = createSwitchyard({ backend, jobs: [], logger: silentLogger });
    const result = await run(["counts"], client);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: "switchyard: the memory backend does not support counts()\n",
    });
    await client.close();
  });
});

describe("switchyard dashboard", () => {
  it("without @switchyard/dashboard installed: exit 1 saying to install it", async () => {
    const result = await run(["dashboard"], undefined, {
      dashboardPackage: "@switchyard/dashboard-not-installed",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "switchyard: switchyard dashboard needs the package @switchyard/dashboard-not-installed: install it beside the CLI (npm install @switchyard/dashboard-not-installed)\n",
    );
  });

  it("with a package that has serveDashboard: serves it with the client and prints its URL", async () => {
    const client = createSwitchyard({ backend: memory(), jobs: [], logger: silentLogger });
    const served: unknown[] = [];
    let closed = false;
    const module = join(fixtures, "fake-dashboard.mjs");
    (globalThis as { fakeDashboard?: unknown }).fakeDashboard = {
      serve: (jobs: unknown, options: unknown) => {
        served.push(jobs, options);
        return { url: "http://127.0.0.1:4321/", close: () => (closed = true) };
      },
    };
    const result = await run(["dashboard", "--port", "4321"], client, {
      dashboardPackage: module,
      untilStopped: async () => {},
    });
    expect(result).toEqual({ code: 0, stdout: "Switchyard dashboard: http://127.0.0.1:4321/\n", stderr: "" });
    expect((served[0] as Switchyard).backend).toBe(client.backend);
    expect(served[1]).toEqual({ port: 4321, host: "127.0.0.1" });
    expect(closed).toBe(true);
  });
});

describe("switchyard vercel-crons", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-cli-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("prints the crons of the jobs module's declared schedules", async () => {
    const result = await run(["vercel-crons", "--jobs", "./app-jobs.ts"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      crons: [
        { path: "/api/cron/digest-daily", schedule: "0 7 * * *" },
        { path: "/api/cron/sweep", schedule: "*/30 * * * *" },
      ],
    });
  });

  it("--write merges them into vercel.json, keeping its other keys (the real bin)", async () => {
    const file = join(dir, "vercel.json");
    await writeFile(
      file,
      JSON.stringify({ framework: "nextjs", crons: [{ path: "/api/other", schedule: "0 0 * * *" }] }),
    );
    const result = await runBin(
      [
        "vercel-crons",
        "--jobs",
        join(fixtures, "app-jobs.ts"),
        "--write",
        "vercel.json",
        "--base-path",
        "/jobs/cron",
      ],
      {},
      dir,
    );
    expect(result).toMatchObject({ code: 0, stdout: "Wrote 2 crons to vercel.json.\n", stderr: "" });
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({
      framework: "nextjs",
      crons: [
        { path: "/api/other", schedule: "0 0 * * *" },
        { path: "/jobs/cron/digest-daily", schedule: "0 7 * * *" },
        { path: "/jobs/cron/sweep", schedule: "*/30 * * * *" },
      ],
    });
  });

  it("a schedule Vercel cannot run at its time: exit 1, nothing written", async () => {
    const file = join(dir, "vercel.json");
    const result = await run(["vercel-crons", "--jobs", "./paris-jobs.ts", "--write", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^switchyard: Vercel Cron: schedule "report" of job "report" runs in Europe\/Paris/,
    );
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
  });

  it("a module without jobs, or a vercel.json that is not JSON: exit 1 saying so", async () => {
    const none = await run(["vercel-crons", "--jobs", "./fake-dashboard.mjs"]);
    expect(none).toMatchObject({ code: 1 });
    expect(none.stderr).toMatch(/exports no job made by defineJob\(\)/);
    const file = join(dir, "vercel.json");
    await writeFile(file, "{ not json");
    const broken = await run(["vercel-crons", "--jobs", "./app-jobs.ts", "--write", file]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/is not valid JSON .*nothing written/);
    expect(await readFile(file, "utf8")).toBe("{ not json");
  });
});
