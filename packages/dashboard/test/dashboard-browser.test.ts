// End to end in headless Chromium: a failed job appears on the page, is retried from it, and completes,
// on the memory, BullMQ and PostgreSQL backends. Set DASHBOARD_SCREENSHOTS=<dir> to keep the pages as PNGs.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { bullmq } from "@switchyard/adapter-bullmq";
import { postgres } from "@switchyard/adapter-postgres";
import { type Backend, createSwitchyard, defineJob, memory, supports } from "@switchyard/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { serveDashboard } from "../src/index.js";
import { openBrowser } from "./browser.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS;
const quiet = { info() {}, warn() {}, error() {} };

/** Markup in a payload and an error: shown as text, never run. */
const HOSTILE = {
  customer: "<script>window.__xss = 1</script>",
  note: '<img src=x onerror="window.__xss = 2">',
  amount: 42,
};

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  // Last opened, first closed; every step runs even when one fails.
  const errors: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
});

function bullmqBackend(): Backend {
  const prefix = `dash-test-${randomBytes(4).toString("hex")}`;
  cleanups.push(() => {
    const keys = execFileSync("redis-cli", ["-u", REDIS_URL, "--scan", "--pattern", `${prefix}:*`], {
      encoding: "utf8",
    })
      .split("\n")
      .filter(Boolean);
    for (let i = 0; i < keys.length; i += 500)
      execFileSync("redis-cli", ["-u", REDIS_URL, "del", ...keys.slice(i, i + 500)]);
  });
  return bullmq({ url: REDIS_URL, prefix });
}

function postgresBackend(): Backend {
  const schema = `dash_test_${randomBytes(4).toString("hex")}`;
  cleanups.push(() => execFileSync("psql", [DATABASE_URL, "-qc", `drop schema if exists ${schema} cascade`]));
  return postgres({ connectionString: DATABASE_URL, schema });
}

const BACKENDS: Array<[string, () => Backend]> = [
  ["memory", () => memory()],
  ["BullMQ", bullmqBackend],
  ["PostgreSQL", postgresBackend],
];

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the dashboard in headless Chromium", () => {
  it("read-only: the failed job is shown with no action to take", { timeout: 60_000 }, async () => {
    const flaky = defineJob({
      name: "flaky",
      schema: z.object({ n: z.number() }),
      retry: { maxAttempts: 1 },
      handler: () => {
        throw new Error("always");
      },
    });
    const jobs = createSwitchyard({ jobs: [flaky], logger: quiet });
    cleanups.push(() => jobs.close());
    const worker = jobs.work();
    cleanups.push(() => worker.stop());
    const { id } = await jobs.enqueue(flaky, { n: 1 });
    await until("the job to fail", async () => (await jobs.get(id))?.state === "failed");
    const served = await serveDashboard(jobs, { readOnly: true });
    cleanups.push(() => served.close());
    const browser = await openBrowser();
    cleanups.push(() => browser.close());
    const { page } = browser;
    await page.goto(served.url);
    await page.locator('.card[data-state="failed"] .count', { hasText: /^1$/ }).waitFor();
    expect(await page.locator("main").textContent()).toContain("(read-only)");
    await page.goto(`${served.url}#/job/${id}`);
    await page.locator('[data-field="state"]', { hasText: "failed" }).waitFor();
    await page.goto(`${served.url}#/state/failed`);
    await page.locator(`tr[data-job="${id}"]`).waitFor();
    expect(await page.locator("button[data-action]").count()).toBe(0);
    expect(browser.pageErrors).toEqual([]);
  });

  it("retries every failed job from the failed list", { timeout: 60_000 }, async () => {
    let failing = true;
    const sync = defineJob({
      name: "crm.sync",
      schema: z.object({ account: z.string() }),
      retry: { maxAttempts: 1 },
      handler: () => {
        if (failing) throw new Error("crm unavailable");
      },
    });
    const jobs = createSwitchyard({ jobs: [sync], logger: quiet });
    cleanups.push(() => jobs.close());
    const worker = jobs.work();
    cleanups.push(() => worker.stop());
    const ids = [];
    for (const account of ["acme", "globex", "initech"]) ids.push((await jobs.enqueue(sync, { account })).id);
    await until("three failures", async () => (await jobs.counts()).failed === 3);
    const served = await serveDashboard(jobs);
    cleanups.push(() => served.close());
    const browser = await openBrowser();
    cleanups.push(() => browser.close());
    const { page } = browser;
    await page.goto(`${served.url}#/state/failed`);
    await page.locator("tbody tr[data-job]").nth(2).waitFor();
    failing = false;
    await page.click('[data-action="retry-failed"]');
    await page.locator("#notice", { hasText: "3 failed job(s) retried" }).waitFor();
    await until("every job to complete", async () => (await jobs.counts()).completed === 3);
    await page.goto(served.url);
    await page.locator('.card[data-state="completed"] .count', { hasText: /^3$/ }).waitFor();
    await page.locator('.card[data-state="failed"] .count', { hasText: /^0$/ }).waitFor();
    expect(browser.pageErrors).toEqual([]);
  });

  for (const [name, makeBackend] of BACKENDS) {
    it(`on ${name}: a failed job appears, is retried from the page, and completes`, {
      timeout: 90_000,
    }, async () => {
      let declining = true;
      const charge = defineJob({
        name: "card.charge",
        schema: z.object({ customer: z.string(), note: z.string(), amount: z.number() }),
        retry: { maxAttempts: 1 },
        handler: async (payload, ctx) => {
          await ctx.step.run("reserve", () => ({ hold: `hold-${payload.amount}` }));
          await ctx.progress({ reserved: true });
          if (declining) throw new Error('card <b>declined</b> <img src=x onerror="window.__xss = 3">');
          return { charged: payload.amount };
        },
      });
      const email = defineJob({
        name: "email.send",
        schema: z.object({ to: z.string() }),
        handler: () => ({ sent: true }),
      });
      // Its own job: BullMQ keeps a schedule's next run as a delayed job, which the others do not.
      const digest = defineJob({
        name: "digest.send",
        schema: z.object({ to: z.string() }),
        schedule: {
          id: "digest",
          cron: "0 8 * * 1",
          timezone: "Europe/Paris",
          payload: { to: "team@example.com" },
        },
        handler: () => ({ sent: true }),
      });
      const jobs = createSwitchyard({ backend: makeBackend(), jobs: [charge, email, digest], logger: quiet });
      cleanups.push(() => jobs.close());
      // Fail fast, with the reason, where the backend lacks what the overview and lists need.
      for (const feature of ["jobs.counts", "jobs.list", "jobs.retry"] as const) {
        if (!supports(jobs.capabilities, feature)) {
          throw new Error(`the ${jobs.capabilities.backend} backend does not implement ${feature} yet`);
        }
      }
      const worker = jobs.work({ concurrency: 2 });
      cleanups.push(() => worker.stop({ graceful: false }));
      await worker.ready;

      for (const to of ["ada@example.com", "grace@example.com"]) await jobs.enqueue(email, { to });
      await jobs.enqueue(email, { to: "later@example.com" }, { delay: "1h" });
      const { id } = await jobs.enqueue(charge, HOSTILE);
      await until("the charge to fail", async () => (await jobs.get(id))?.state === "failed");

      const served = await serveDashboard(jobs);
      cleanups.push(() => served.close());
      const browser = await openBrowser();
      cleanups.push(() => browser.close());
      const { page } = browser;
      const shoot = async (file: string) => {
        if (SCREENSHOTS && name === "memory")
          await page.screenshot({ path: join(SCREENSHOTS, file), fullPage: true });
      };

      // Overview: counts per state, the failed one a link to its list.
      await page.goto(served.url);
      await page.locator('.card[data-state="failed"] .count', { hasText: /^1$/ }).waitFor();
      await page.locator('.card[data-state="completed"] .count', { hasText: /^2$/ }).waitFor();
      // Per job and state.
      const byJob = (job: string, state: string) =>
        page.locator(`#by-job tr[data-job-name="${job}"] td[data-state="${state}"]`).textContent();
      expect([await byJob("card.charge", "failed"), await byJob("card.charge", "completed")]).toEqual([
        "1",
        "0",
      ]);
      expect([await byJob("email.send", "completed"), await byJob("email.send", "delayed")]).toEqual([
        "2",
        "1",
      ]);
      await shoot("overview.png");

      // The failed list: the job, its error as text.
      await page.click('.card[data-state="failed"]');
      const row = page.locator(`tr[data-job="${id}"]`);
      await row.waitFor();
      expect(await row.locator("td.error").textContent()).toBe(
        'card <b>declined</b> <img src=x onerror="window.__xss = 3">',
      );
      await shoot("failed.png");

      // Its detail: payload and error shown as text, nothing of them run.
      await row.locator("a").click();
      await page.locator('[data-field="state"]', { hasText: "failed" }).waitFor();
      const body = await page.locator("main").textContent();
      expect(body).toContain("<script>window.__xss = 1</script>");
      expect(body).toContain("card <b>declined</b>");
      expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
      expect(await page.locator("main img, main script, main b").count()).toBe(0);
      // Progress and the completed steps, where the backend keeps them.
      expect(await page.locator('[data-field="progress"]').textContent()).toBe(
        JSON.stringify({ reserved: true }, null, 2),
      );
      expect(await page.locator('[data-field="steps"] li').allTextContents()).toEqual(["reserve"]);
      await shoot("job.png");

      // Retry from the page; the detail refreshes itself until the job completed.
      declining = false;
      await page.click('[data-action="retry"]');
      await page.locator("#notice", { hasText: "Retried" }).waitFor();
      await page.locator('[data-field="state"]', { hasText: "completed" }).waitFor({ timeout: 30_000 });
      expect(await page.locator('[data-field="result"]').textContent()).toBe(
        JSON.stringify({ charged: 42 }, null, 2),
      );
      expect((await jobs.get(id))?.state).toBe("completed");

      // Cancel the delayed job from its page.
      await page.goto(`${served.url}#/state/delayed?job=email.send`);
      const delayed = page.locator("tbody tr[data-job]");
      await delayed.first().waitFor();
      expect(await delayed.count()).toBe(1);
      const delayedId = (await delayed.getAttribute("data-job"))!;
      await delayed.locator("a").click();
      await page.click('[data-action="cancel"]');
      await page.locator('[data-field="state"]', { hasText: "cancelled" }).waitFor();
      expect((await jobs.get(delayedId))?.state).toBe("cancelled");

      // Find by id, and the schedules page.
      await page.goto(served.url);
      await page.fill("#find input", id);
      await page.press("#find input", "Enter");
      await page.locator("main h1", { hasText: id }).waitFor();
      await page.click('a[href="#/schedules"]');
      await page.locator("main td", { hasText: "0 8 * * 1 (Europe/Paris)" }).waitFor();
      await shoot("schedules.png");

      expect(browser.pageErrors).toEqual([]);
    });
  }
});
