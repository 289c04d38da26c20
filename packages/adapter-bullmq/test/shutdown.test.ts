import { randomBytes } from "node:crypto";
import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq, STOP_GRACE_MS } from "../src/index.js";
import { type ChildWorker, startChild } from "./child-worker.js";
import { deleteKeys, REDIS_URL } from "./redis-test-server.js";
import { freePort, startRedis, type ThrowawayRedis } from "./throwaway-redis.js";

/** How long a process may live on after `jobs.close()` resolved: ioredis ends a socket in 100 ms. */
const EXIT_AFTER_CLOSE_MS = 500;

const children: ChildWorker[] = [];
const servers: ThrowawayRedis[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  for (const server of servers.splice(0)) await server.kill();
});

function startWorker(
  url: string,
  stopOptions: object | "close-only",
  handler = "abortable",
  concurrency = 1,
) {
  const prefix = `sy-shutdown-${randomBytes(3).toString("hex")}`;
  const name = `shutdown-${randomBytes(3).toString("hex")}`;
  const child = startChild("shutdown-worker.ts", {
    REDIS_URL: url,
    SHUTDOWN_PREFIX: prefix,
    SHUTDOWN_JOB: name,
    STOP_OPTIONS: JSON.stringify(stopOptions),
    HANDLER: handler,
    CONCURRENCY: String(concurrency),
  });
  children.push(child);
  return { child, prefix, name };
}

/** Sends SIGTERM (the README's handler stops and closes) and returns how long each step took. */
async function terminate(child: ChildWorker) {
  const sent = Date.now();
  child.process.kill("SIGTERM");
  const stopped = await child.line(/^stopped/, 10_000);
  const closed = await child.line(/^closed/, 5_000);
  const exit = await child.exited;
  const result = {
    stopMs: stopped.at - sent,
    closeMs: closed.at - stopped.at,
    exitCode: exit.code,
    exitAfterCloseMs: exit.at - closed.at,
  };
  if (process.env.SHOW_TIMINGS) console.log("shutdown timings", result);
  return result;
}

describe("a worker process on SIGTERM (the README's handler: stop, then close)", () => {
  it("stops and exits by itself while Redis is unreachable: graceful, hard, with a timeout, close() alone", {
    timeout: 90_000,
  }, async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const stops: Array<object | "close-only"> = [
      {},
      { graceful: false },
      { graceful: true, timeout: "2s" },
      "close-only",
    ];
    const results = await Promise.all(
      stops.map(async (stopOptions) => {
        const { child } = startWorker(url, stopOptions);
        await child.line(/^warn .*ECONNREFUSED/); // it tried, and waits out the outage
        return {
          stopOptions,
          ...(await terminate(child)),
          ready: child.lines.some((l) => l.text === "ready"),
        };
      }),
    );
    for (const result of results) {
      // No handler runs and nothing can be written: nothing to wait for.
      expect(result.stopMs, JSON.stringify(result.stopOptions)).toBeLessThan(1_500);
      expect(result.closeMs, JSON.stringify(result.stopOptions)).toBeLessThan(1_500);
      expect(result.exitCode).toBe(0);
      expect(result.exitAfterCloseMs).toBeLessThan(EXIT_AFTER_CLOSE_MS);
      expect(result.ready).toBe(false);
    }
  });

  it("stops by its timeout when Redis dies under a running handler that ignores the abort, then exits", {
    timeout: 90_000,
  }, async () => {
    const server = await startRedis();
    servers.push(server);
    const { child, prefix, name } = startWorker(
      server.url,
      { graceful: true, timeout: "1s" },
      "ignore-abort",
    );
    await child.line(/^ready$/);
    const job = defineJob({ name, schema: z.object({ n: z.number() }), handler: () => {} });
    const client = createSwitchyard({
      backend: bullmq({ url: server.url, prefix }),
      jobs: [job],
      logger: silentLogger,
    });
    try {
      await client.enqueue(job, { n: 1 });
      await child.line(/^started/);
    } finally {
      await client.close();
    }
    await server.kill();
    const result = await terminate(child);
    expect(result.stopMs).toBeGreaterThanOrEqual(950); // it gave the handler its timeout
    expect(result.stopMs).toBeLessThan(1_000 + STOP_GRACE_MS + 500);
    expect(result.exitCode).toBe(0);
    expect(result.exitAfterCloseMs).toBeLessThan(EXIT_AFTER_CLOSE_MS);
  });

  it("lets the jobs in flight finish and leaves the waiting ones untouched", {
    timeout: 90_000,
  }, async () => {
    const { child, prefix, name } = startWorker(REDIS_URL, { graceful: true, timeout: "25s" }, "slow", 3);
    try {
      await child.line(/^ready$/);
      const job = defineJob({ name, schema: z.object({ n: z.number() }), handler: () => {} });
      const client = createSwitchyard({
        backend: bullmq({ url: REDIS_URL, prefix }),
        jobs: [job],
        logger: silentLogger,
      });
      try {
        const enqueued = await client.enqueueMany(
          job,
          Array.from({ length: 8 }, (_, n) => ({ n })),
        );
        await waitFor(() => child.lines.filter((line) => line.text.startsWith("started ")).length === 3, {
          message: "three jobs (the worker's concurrency) to start",
        });
        const result = await terminate(child);
        expect(result.exitCode).toBe(0);
        const started = child.lines.filter((l) => l.text.startsWith("started ")).map((l) => l.text.slice(8));
        const finished = child.lines
          .filter((l) => l.text.startsWith("finished "))
          .map((l) => l.text.slice(9));
        expect(started).toHaveLength(3); // none fetched once the stop began
        expect(finished.sort()).toEqual([...started].sort());
        const raw = new Queue(name, { connection: new Redis(REDIS_URL), prefix });
        try {
          for (const { id } of enqueued) {
            const snapshot = await client.get(id);
            if (started.includes(id)) {
              expect(snapshot, id).toMatchObject({ state: "completed", attempts: 1 });
            } else {
              expect(snapshot, id).toMatchObject({ state: "waiting", attempts: 0 });
              expect(snapshot?.error).toBeUndefined();
              const stored = await raw.getJob(id.slice(name.length + 1));
              expect(stored?.processedOn, id).toBeUndefined(); // never taken by a worker
              expect(await stored?.getState(), id).toBe("waiting");
            }
          }
        } finally {
          await raw.close();
        }
      } finally {
        await client.close();
      }
    } finally {
      await deleteKeys(`${prefix}:*`);
    }
  });

  it("exits promptly after close once its jobs are done (no timer left armed)", {
    timeout: 90_000,
  }, async () => {
    const { child, prefix, name } = startWorker(REDIS_URL, {}, "returns");
    try {
      await child.line(/^ready$/);
      const job = defineJob({ name, schema: z.object({ n: z.number() }), handler: () => {} });
      const client = createSwitchyard({
        backend: bullmq({ url: REDIS_URL, prefix }),
        jobs: [job],
        logger: silentLogger,
      });
      try {
        const { id } = await client.enqueue(job, { n: 1 });
        await waitFor(async () => (await client.get(id))?.state === "completed", {
          message: "the job to complete",
        });
      } finally {
        await client.close();
      }
      const result = await terminate(child);
      expect(result.stopMs).toBeLessThan(1_500);
      expect(result.exitCode).toBe(0);
      expect(result.exitAfterCloseMs).toBeLessThan(EXIT_AFTER_CLOSE_MS);
    } finally {
      await deleteKeys(`${prefix}:*`);
    }
  });
});
