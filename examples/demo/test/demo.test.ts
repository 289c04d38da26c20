import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Runs the demo as a user would, on `env`'s backend, and reads its summary table. */
async function runDemo(env: Record<string, string>) {
  const { stdout } = await run(
    process.execPath,
    ["--conditions=@switchyard/source", "--import", "tsx", main],
    {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: { ...process.env, ...env },
      timeout: 55_000,
    },
  );
  const table = Object.fromEntries(
    [...stdout.matchAll(/^\| (\S+)\s+\|\s+(\d+) \|$/gm)].map((match) => [match[1], Number(match[2])]),
  );
  return { stdout, table };
}

function expectSummary({ stdout, table }: Awaited<ReturnType<typeof runDemo>>): void {
  // 6 emails delivered (a 7th to a dead mailbox) + 3 webhooks + 3 orders + at least 2 reports.
  expect(table.processed).toBeGreaterThanOrEqual(14);
  expect(table.retried).toBeGreaterThan(0);
  expect(table["dead-lettered"]).toBe(1);
  expect(table.deduplicated).toBe(5);
  expect(stdout).toContain("dead letter: email.send: mailbox bounce@example.com does not exist");
  // The order flow: the flaky provider fails some first tries, yet each confirmation went out once.
  expect(stdout).toContain(
    "orders fulfilled 3 with durable steps: confirmation emails sent 3, cards charged 3",
  );
}

describe("the demo", () => {
  it("runs the four cases on the memory backend and prints the summary table", {
    timeout: 60_000,
  }, async () => {
    expectSummary(await runDemo({ SWITCHYARD_BACKEND: "memory" }));
  });

  it("runs the same on BullMQ (Redis at REDIS_URL)", { timeout: 60_000 }, async () => {
    const prefix = `demo-test-${randomBytes(4).toString("hex")}`;
    try {
      expectSummary(
        await runDemo({ SWITCHYARD_BACKEND: "bullmq", REDIS_URL, SWITCHYARD_BULLMQ_PREFIX: prefix }),
      );
    } finally {
      const keys = execFileSync("redis-cli", ["-u", REDIS_URL, "--scan", "--pattern", `${prefix}:*`], {
        encoding: "utf8",
      })
        .split("\n")
        .filter(Boolean);
      for (let i = 0; i < keys.length; i += 500)
        execFileSync("redis-cli", ["-u", REDIS_URL, "del", ...keys.slice(i, i + 500)]);
    }
  });

  it("runs the same on PostgreSQL (DATABASE_URL)", { timeout: 60_000 }, async () => {
    const schema = `demo_test_${randomBytes(4).toString("hex")}`;
    try {
      expectSummary(
        await runDemo({ SWITCHYARD_BACKEND: "postgres", DATABASE_URL, SWITCHYARD_POSTGRES_SCHEMA: schema }),
      );
    } finally {
      execFileSync("psql", [DATABASE_URL, "-qc", `drop schema if exists ${schema} cascade`]);
    }
  });
});
