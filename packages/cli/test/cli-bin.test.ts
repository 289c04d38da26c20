// The real `switchyard` executable, run as a child process against BullMQ and PostgreSQL servers
// seeded by the test with failed, delayed and scheduled jobs.
import {
  createSwitchyard,
  defineJob,
  PermanentError,
  type Switchyard,
  silentLogger,
  supports,
} from "@switchyard/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTestDatabase } from "../../adapter-postgres/test/test-database.js";
import { bullmqCliBackend, type CliBackend, postgresCliBackend } from "./fixtures/cli-backends.js";
import { runBin, startBin } from "./fixtures/run-bin.js";

const charge = defineJob({
  name: "card.charge",
  schema: z.object({ n: z.number() }),
  retry: { maxAttempts: 1 },
  handler: (payload) => {
    throw new PermanentError(`card declined: ${payload.n}`);
  },
});
const report = defineJob({
  name: "report.build",
  schema: z.object({}),
  schedule: { id: "nightly-report", cron: "0 3 * * *", payload: {} },
  handler: () => {},
});

describe.each([bullmqCliBackend(), postgresCliBackend()])("switchyard on $name", (setup: CliBackend) => {
  let jobs: Switchyard;
  let failedIds: string[];
  let delayedId: string;

  beforeAll(async () => {
    await setup.setup();
    jobs = createSwitchyard({ backend: setup.backend(), jobs: [charge, report], logger: silentLogger });
    const worker = jobs.work({ concurrency: 3 });
    await worker.ready;
    failedIds = (await jobs.enqueueMany(charge, [{ n: 1 }, { n: 2 }, { n: 3 }])).map((result) => result.id);
    for (let tries = 0; (await jobs.listFailed({ job: charge.name })).length < 3; tries++) {
      if (tries > 300) throw new Error("the seeded jobs did not fail");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await worker.stop();
    delayedId = (await jobs.enqueue(report, {}, { delay: "1h" })).id;
  });
  afterAll(async () => {
    await jobs?.close();
    await setup.cleanup();
  });

  it("failed: a table of the failed jobs, and --json with every snapshot", async () => {
    const table = await runBin(["failed"], setup.env());
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+JOB\s+ATTEMPTS\s+FAILED AT\s+ERROR$/);
    expect(rows).toHaveLength(3);
    for (const id of failedIds) {
      const row = rows.find((line) => line.startsWith(`${id} `));
      expect(row, id).toMatch(/card\.charge\s+1\/1\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+card declined: \d$/);
    }

    const json = await runBin(["failed", "--json", "--job", charge.name], setup.env());
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout);
    expect(page.jobs.map((job: { id: string }) => job.id).sort()).toEqual([...failedIds].sort());
    for (const job of page.jobs) {
      expect(job).toMatchObject({ name: "card.charge", state: "failed", attempts: 1, maxAttempts: 1 });
      expect(job.error.message).toMatch(/^card declined: \d$/);
    }
  });

  it("schedules: the declared schedule, as a table and as JSON", async () => {
    await jobs.schedules.sync();
    const table = await runBin(["schedules"], setup.env());
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+JOB\s+REPEAT\s+TIME ZONE\s+NEXT RUN\s+SOURCE\s+PAYLOAD\n/);
    expect(table.stdout).toMatch(/nightly-report\s+report\.build\s+0 3 \* \* \*\s+UTC\s/);
    const json = JSON.parse((await runBin(["schedules", "--json"], setup.env())).stdout);
    expect(json.schedules).toEqual([
      expect.objectContaining({ id: "nightly-report", job: "report.build", cron: "0 3 * * *" }),
    ]);
  });

  it("counts: jobs per state where the backend counts, else a one-line NotSupported message", async () => {
    const run = await runBin(["counts", "--json"], setup.env());
    if (!supports(jobs.capabilities, "jobs.counts")) {
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`switchyard: the ${setup.name} backend does not support counts()\n`);
      return;
    }
    expect(run.code).toBe(0);
    // BullMQ keeps a schedule's next run as a delayed job, and counts it (its manifest's note says so).
    const scheduledRuns = setup.name === "bullmq" ? 1 : 0;
    expect(JSON.parse(run.stdout)).toMatchObject({ failed: 3, delayed: 1 + scheduledRuns });
    const table = await runBin(["counts"], setup.env());
    expect(table.stdout).toMatch(/^STATE\s+JOBS\n/);
    expect(table.stdout).toMatch(/\nfailed\s+3\n/);
  });

  it("retry <id>: the failed job runs again; a job that is not failed, or unknown, exits 1 saying why", async () => {
    const [first] = failedIds;
    const retried = await runBin(["retry", first!], setup.env());
    expect(retried).toMatchObject({ code: 0, stdout: `Retried ${first}.\n`, stderr: "" });
    expect((await jobs.get(first!))?.state).toBe("waiting");

    const again = await runBin(["retry", first!, "--json"], setup.env());
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `switchyard: job ${first} (card.charge) is waiting: only failed jobs can be retried\n`,
    );

    const unknown = await runBin(["retry", "no-such-job"], setup.env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^switchyard: (no job no-such-job: nothing retried|.+)\n$/);
  });

  it("dashboard: serves @switchyard/dashboard on localhost, prints its URL, shows the failed jobs, stops on SIGTERM", async () => {
    const served = startBin(["dashboard", "--port", "0"], setup.env());
    try {
      const url = (await served.line(/^Switchyard dashboard: (http:\/\/127\.0\.0\.1:\d+\/\S*)$/))[1]!;
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      const counts = await fetch(new URL("api/overview", url));
      expect(counts.status).toBe(200);
      const overview = await counts.json();
      // The same figures as the app's own client (earlier tests retried and cancelled some jobs).
      expect(overview.counts).toEqual(await jobs.counts());
      expect(overview.counts.failed).toBeGreaterThan(0);
    } finally {
      served.child.kill("SIGTERM");
    }
    expect(await served.exit).toBe(0);
  });

  it("cancel <id>: the delayed job is cancelled; cancelling it again exits 1", async () => {
    const cancelled = await runBin(["cancel", delayedId, "--json"], setup.env());
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toEqual({ id: delayedId, cancelled: true });
    expect((await jobs.get(delayedId))?.state).toBe("cancelled");

    const again = await runBin(["cancel", delayedId], setup.env());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is cancelled: only waiting, delayed or running jobs can be cancelled\n$/);
  });

  it("retry --all-failed: every failed job runs again where the backend retries in bulk", async () => {
    const run = await runBin(["retry", "--all-failed", "--json"], setup.env());
    if (!supports(jobs.capabilities, "jobs.retryFailed")) {
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`switchyard: the ${setup.name} backend does not support retryFailed()\n`);
      return;
    }
    expect(run.code).toBe(0);
    const rest = failedIds.slice(1);
    expect(JSON.parse(run.stdout).retried.sort()).toEqual([...rest].sort());
    for (const id of rest) expect((await jobs.get(id))?.state).toBe("waiting");
  });

  it("an unreachable backend: exit 1 and one clear line", { timeout: 60_000 }, async () => {
    const id = failedIds[0]!; // an id of the backend's own form, so the adapter has to ask the server
    const commands = [["failed"], ["retry", id], ["cancel", id, "--json"], ["schedules", "--json"]];
    // At once: the BullMQ adapter gives Redis its command timeout (5 s) before calling it unreachable.
    const runs = await Promise.all(commands.map((command) => runBin(command, setup.unreachableEnv())));
    for (const [index, run] of runs.entries()) {
      expect(run.code, commands[index]!.join(" ")).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        new RegExp(`^switchyard: cannot reach the ${setup.name} backend: [^\\n]+\\n$`),
      );
      expect(run.stderr).toMatch(/ECONNREFUSED/);
    }
  });
});

describe("switchyard on postgres: a schema that is not installed", () => {
  it("exits 1 saying it is not installed, and creates nothing (commands never migrate)", async () => {
    const database = await createTestDatabase("cli_schema");
    try {
      const env = {
        SWITCHYARD_BACKEND: "postgres",
        DATABASE_URL: database.url,
        SWITCHYARD_POSTGRES_SCHEMA: "switchyard_typo",
      };
      const run = await runBin(["counts"], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^switchyard: .*schema "switchyard_typo" is not installed/);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query("select 1 from pg_namespace where nspname = 'switchyard_typo'");
        expect(rows).toEqual([]);
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });
});

describe("switchyard: usage", () => {
  it("bad arguments print the usage and exit 2, touching no backend", async () => {
    for (const args of [
      [],
      ["frobnicate"],
      ["retry"],
      ["retry", "a", "b"],
      ["cancel", "--all-failed"],
      ["counts", "--limit", "3"],
      ["failed", "--limit", "zero"],
      ["failed", "--nope"],
      ["vercel-crons"],
    ]) {
      const run = await runBin(args, { SWITCHYARD_BACKEND: "bullmq", REDIS_URL: "redis://127.0.0.1:1" });
      if (args.length === 0) {
        expect(run).toMatchObject({ code: 0, stderr: "" });
        expect(run.stdout).toMatch(/^Usage: switchyard <command>/);
        continue;
      }
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr, args.join(" ")).toMatch(/^switchyard: .+\n\nUsage: switchyard <command>/);
      expect(run.stdout).toBe("");
    }
  });

  it("without SWITCHYARD_BACKEND it says to set it (the memory backend is out of the CLI's sight)", async () => {
    const run = await runBin(["counts"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^switchyard: set SWITCHYARD_BACKEND to the application's backend/);
  });
});
