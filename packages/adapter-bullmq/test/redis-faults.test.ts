import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq, RedisUnavailableError } from "../src/index.js";

/** A port nobody listens on (the OS picks it, then it is released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts a throwaway redis-server on `port` (no persistence); stop it with `kill()`. */
async function startRedis(port: number): Promise<ChildProcess> {
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("spawn", resolve);
    server.once("error", (error) =>
      reject(new Error(`cannot start redis-server (${error.message}); install Redis to run this test`)),
    );
  });
  const probe = new Redis(port, "127.0.0.1", { lazyConnect: true, retryStrategy: () => 50 });
  probe.on("error", () => {});
  await waitFor(
    () =>
      probe
        .ping()
        .then((reply) => reply === "PONG")
        .catch(() => false),
    {
      message: `redis-server on port ${port}`,
      timeoutMs: 10_000,
    },
  );
  probe.disconnect();
  return server;
}

const servers: ChildProcess[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
  for (const server of servers.splice(0)) server.kill("SIGKILL");
});

const job = defineJob({ name: "fault", schema: z.object({ n: z.number() }), handler: () => {} });

function clientOn(port: number) {
  const client = createSwitchyard({
    backend: bullmq({
      url: `redis://127.0.0.1:${port}`,
      prefix: `sy-fault-${randomBytes(3).toString("hex")}`,
      commandTimeout: "500ms",
    }),
    jobs: [job],
    logger: silentLogger,
  });
  closers.push(() => client.close());
  return client;
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

describe("Redis faults", () => {
  it("fails an enqueue with RedisUnavailableError within commandTimeout when Redis is down, and never sends it late", async () => {
    const port = await freePort();
    const client = clientOn(port);
    const { error, ms } = await timed(() => client.enqueue(job, { n: 1 }));
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as RedisUnavailableError).code).toBe("SWITCHYARD_REDIS_UNAVAILABLE");
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(2_500);
    const get = await timed(() => client.get("fault:1"));
    expect(get.error).toBeInstanceOf(RedisUnavailableError);

    // Redis comes up: the client reconnects, the next enqueue goes through, and the failed one never arrives.
    servers.push(await startRedis(port));
    const second = await waitFor(() => client.enqueue(job, { n: 2 }).catch(() => undefined), {
      message: "an enqueue to succeed once Redis is up",
      timeoutMs: 15_000,
      intervalMs: 250,
    });
    expect(second.deduplicated).toBe(false);
    expect((await client.get(second.id))?.payload).toEqual({ n: 2 });
    const redis = new Redis(port, "127.0.0.1");
    closers.push(async () => void redis.disconnect());
    const jobKeys = (await redis.keys("sy-fault-*")).filter((key) => /:fault:\d+$/.test(key));
    expect(jobKeys).toHaveLength(1);
  });

  it("fails a call on a connection that hangs (Redis frozen) within about commandTimeout", async () => {
    const port = await freePort();
    const server = await startRedis(port);
    servers.push(server);
    const client = clientOn(port);
    await client.enqueue(job, { n: 1 });
    server.kill("SIGSTOP"); // connected, but nothing answers
    try {
      const { error, ms } = await timed(() => client.enqueue(job, { n: 2 }));
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThan(2_500);
    } finally {
      server.kill("SIGCONT");
    }
    const after = await waitFor(() => client.enqueue(job, { n: 3 }).catch(() => undefined), {
      message: "an enqueue to succeed once Redis answers again",
      timeoutMs: 15_000,
      intervalMs: 250,
    });
    expect(after.deduplicated).toBe(false);
  });

  it("fails calls with RedisUnavailableError within commandTimeout when Redis goes away", async () => {
    const port = await freePort();
    const server = await startRedis(port);
    servers.push(server);
    const client = clientOn(port);
    const first = await client.enqueue(job, { n: 1 });
    expect((await client.get(first.id))?.state).toBe("waiting");
    server.kill("SIGKILL");
    await new Promise((resolve) => server.once("exit", resolve));
    const calls: Array<() => Promise<unknown>> = [
      () => client.enqueue(job, { n: 2 }),
      () => client.get(first.id),
      () => client.cancel(first.id),
    ];
    for (const call of calls) {
      const { error, ms } = await timed(call);
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(ms).toBeLessThan(2_500);
    }
  });
});
