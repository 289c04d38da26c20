import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

describe("the demo", () => {
  it("runs the three cases on the memory backend and prints the summary table", {
    timeout: 60_000,
  }, async () => {
    const { stdout } = await run(
      process.execPath,
      ["--conditions=@switchyard/source", "--import", "tsx", main],
      {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        env: { ...process.env, SWITCHYARD_BACKEND: "memory" },
        timeout: 55_000,
      },
    );
    const table = Object.fromEntries(
      [...stdout.matchAll(/^\| (\S+)\s+\|\s+(\d+) \|$/gm)].map((match) => [match[1], Number(match[2])]),
    );
    // 6 emails delivered (a 7th to a dead mailbox) + 3 webhooks + 3 orders + at least 2 reports.
    expect(table.processed).toBeGreaterThanOrEqual(14);
    expect(table.retried).toBeGreaterThan(0);
    expect(table["dead-lettered"]).toBe(1);
    expect(table.deduplicated).toBe(5);
    expect(stdout).toContain("dead letter: email.send: mailbox bounce@example.com does not exist");
    expect(stdout).toContain(
      "orders fulfilled 3 with durable steps: confirmation emails sent 3, cards charged 3",
    );
  });
});
