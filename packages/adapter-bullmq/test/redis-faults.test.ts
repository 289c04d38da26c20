import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackendUnavailableError, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { sleep, waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq } from "../src/index.js";
import type { ChildWorker } from "./child-worker.js";
import { loadJob, startLoadWorker } from "./load-workers.js";
import { countJobs, freePort, startRedis, type ThrowawayRedis, unreadBytes } from "./throwaway-redis.js";

const servers: ThrowawayRedis[] = [];
const closers: Array<() => Promise<void>> = [];
const children: ChildWorker[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  for (const close of closers.splice(0)) await close().catch(() => {});
  for (const server of servers.splice(0)) {
    server.thaw();
    await server.kill();
  }
});

const job = defineJob({ name: "fault", schema: z.object({ n: z.number() }), handler: () => {} });

function clientOn(port: number) {
  const prefix = `sy-fault-${randomBytes(3).toString("hex")}`;
  const client = createSwitchyard({
    backend: bullmq({ url: `redis://127.0.0.1:${port}`, prefix, commandTimeout: "500ms" }),
    jobs: [job],
    logger: silentLogger,
  });
  closers.push(() => client.close());
  return Object.assign(client, { prefix });
}

async function timed<T>(action: () => Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await action();
    return { error: undefined, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

function expectUnavailable(error: unknown, stored: "no" | "unknown"): void {
  expect(error).toBeInstanceOf(BackendUnavailableError);
  const unavailable = error as BackendUnavailableError;
  expect(unavailable.code).toBe("SWITCHYARD_BACKEND_UNAVAILABLE");
  expect(unavailable.backend).toBe("bullmq");
  expect(unavailable.stored).toBe(stored);
  expect(unavailable.cause).toBeInstanceOf(Error);
}

describe("Redis faults", () => {
  it("fails an enqueue with BackendUnavailableError (stored: no) within commandTimeout when Redis is down, and never sends it late", async () => {
    const port = await freePort();
    const client = clientOn(port);
    const { error, ms } = await timed(() => client.enqueue(job, { n: 1 }));
    expectUnavailable(error, "no");
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(2_500);
    const get = await timed(() => client.get("fault:1"));
    expectUnavailable(get.error, "no");

    // Redis comes up: the client reconnects, the next enqueue goes through, and the failed one never arrives.
    const server = await startRedis(port);
    servers.push(server);
    const second = await waitFor(() => client.enqueue(job, { n: 2 }).catch(() => undefined), {
      message: "an enqueue to succeed once Redis is up",
      timeoutMs: 15_000,
      intervalMs: 250,
    });
    expect(second.deduplicated).toBe(false);
    expect((await client.get(second.id))?.payload).toEqual({ n: 2 });
    expect(await countJobs(server.url, client.prefix, "fault")).toBe(1);
  });

  it("fails a call on a connection that hangs (Redis frozen) within about commandTimeout, stored: unknown; a retry with the same idempotency key makes one job", async () => {
    const server = await startRedis();
    servers.push(server);
    const client = clientOn(server.port);
    await client.enqueue(job, { n: 1 });
    server.freeze(); // connected, but nothing answers: the enqueue is written and never answered
    const { error, ms } = await timed(() => client.enqueue(job, { n: 2 }, { idempotencyKey: "order-2" }));
    expectUnavailable(error, "unknown");
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(2_500);
    // Redis wakes up and reads what was written before the connection was dropped: the first try is
    // stored although its caller got an error. The retry the README recommends (same key) finds it.
    server.thaw();
    const retried = await waitFor(
      () => client.enqueue(job, { n: 2 }, { idempotencyKey: "order-2" }).catch(() => undefined),
      { message: "the retry to succeed once Redis answers again", timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(retried.deduplicated).toBe(true); // the failed first try was stored
    expect(await countJobs(server.url, client.prefix, "fault")).toBe(2); // n: 1 and one n: 2
    expect((await client.get(retried.id))?.payload).toEqual({ n: 2 });
  });

  it("says stored: unknown for an enqueue in flight when Redis is killed", async () => {
    const server = await startRedis();
    servers.push(server);
    const client = clientOn(server.port);
    await client.enqueue(job, { n: 1 });
    server.freeze(); // holds the enqueue in flight
    const pending = timed(() => client.enqueue(job, { n: 2 }));
    await waitFor(() => unreadBytes(server.port) > 0, { message: "the enqueue to be written to Redis" });
    await server.kill();
    const { error, ms } = await pending;
    expectUnavailable(error, "unknown");
    expect(ms).toBeLessThan(2_500);
  });

  it("fails calls with BackendUnavailableError (stored: no) within commandTimeout when Redis went away", async () => {
    const server = await startRedis();
    servers.push(server);
    const client = clientOn(server.port);
    const first = await client.enqueue(job, { n: 1 });
    expect((await client.get(first.id))?.state).toBe("waiting");
    await server.kill();
    const calls: Array<() => Promise<unknown>> = [
      () => client.enqueue(job, { n: 2 }),
      () => client.get(first.id),
      () => client.cancel(first.id),
    ];
    for (const call of calls) {
      const { error, ms } = await timed(call);
      expectUnavailable(error, "no");
      expect(ms).toBeLessThan(2_500);
    }
  });

  it("keeps every acknowledged enqueue across a Redis crash and restart (AOF, fsync always), and the same worker process completes them", {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "sy-redis-"));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const first = await startRedis(undefined, { persistIn: dir });
    servers.push(first);
    const { port, url } = first;
    const prefix = `sy-restart-${randomBytes(3).toString("hex")}`;
    const name = `steady-${randomBytes(3).toString("hex")}`;
    const worker = startLoadWorker({ url, prefix, name, concurrency: 20, handlerMs: 2 });
    children.push(worker);
    await worker.line(/^ready$/, 30_000);
    const job = loadJob(name);
    const client = createSwitchyard({
      backend: bullmq({ url, prefix, commandTimeout: "500ms" }),
      jobs: [job],
      logger: silentLogger,
    });
    closers.unshift(() => client.close());

    const acknowledged: Array<{ id: string; at: number }> = [];
    const refused = { no: 0, unknown: 0 };
    let producing = true;
    const producer = (async () => {
      for (let n = 0; producing; n++) {
        try {
          acknowledged.push({ id: (await client.enqueue(job, { n })).id, at: Date.now() });
        } catch (error) {
          if (!(error instanceof BackendUnavailableError)) throw error;
          refused[error.stored]++; // not acknowledged: not counted
          await sleep(50);
        }
        await sleep(1);
      }
    })();
    await waitFor(() => acknowledged.length >= 300, { message: "the producer to get going" });
    await first.kill(); // a crash: nothing is flushed on the way out
    servers.splice(servers.indexOf(first), 1);
    const downAt = Date.now();
    await sleep(500);
    servers.push(await startRedis(port, { persistIn: dir }));
    const upAt = Date.now();
    await waitFor(() => acknowledged.some((entry) => entry.at > upAt + 1_000), {
      message: "the producer to enqueue again after the restart",
      timeoutMs: 20_000,
    });
    producing = false;
    await producer;

    const notCompleted = await waitFor(
      async () => {
        const states = await Promise.all(acknowledged.map(({ id }) => client.get(id)));
        const left = acknowledged.filter((_, index) => states[index]?.state !== "completed");
        return left.length === 0 && left;
      },
      { message: "every acknowledged job to complete", timeoutMs: 30_000, intervalMs: 500 },
    );
    const afterRestart = acknowledged.filter((entry) => entry.at > upAt).length;
    console.log(
      `Redis restart: ${acknowledged.length} acknowledged enqueues (${afterRestart} after the restart), all completed; ` +
        `refused while down: ${refused.no} stored "no", ${refused.unknown} stored "unknown"; down ${upAt - downAt} ms`,
    );
    expect(notCompleted).toEqual([]);
    expect(refused.no + refused.unknown).toBeGreaterThan(0); // the producer did see Redis go away
    // One worker process throughout: never restarted, still running.
    expect(worker.process.exitCode).toBeNull();
    expect(worker.lines.filter((line) => line.text === "ready")).toHaveLength(1);
  });
});
