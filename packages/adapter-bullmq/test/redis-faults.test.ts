import { randomBytes } from "node:crypto";
import { BackendUnavailableError, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { bullmq } from "../src/index.js";
import { countJobs, freePort, startRedis, type ThrowawayRedis, unreadBytes } from "./throwaway-redis.js";

const servers: ThrowawayRedis[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
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
});
