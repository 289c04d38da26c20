import { randomBytes } from "node:crypto";
import { ConfigError, createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { Redis } from "ioredis";
import { Cluster as Cluster6, Redis as Redis6 } from "ioredis6";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type BullmqBackendOptions, bullmq } from "../src/index.js";
import { REDIS_URL } from "./redis-test-server.js";
import { countJobs, startRedis, type ThrowawayRedis } from "./throwaway-redis.js";

const servers: ThrowawayRedis[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
  for (const server of servers.splice(0)) await server.kill();
});

// Both majors of ioredis fit the option's type (checked by tsc on this file).
const typed: BullmqBackendOptions[] = [
  { connection: new Redis({ lazyConnect: true }) },
  { connection: new Redis6({ lazyConnect: true }) },
  { connection: { host: "127.0.0.1", port: 6379 } },
  { url: process.env.REDIS_URL_THAT_IS_NOT_SET },
];

describe("the connection option", () => {
  it("uses an app's ioredis of another copy and major (6) on the Redis it points at, and leaves it open", {
    timeout: 30_000,
  }, async () => {
    const server = await startRedis();
    servers.push(server);
    const appRedis = new Redis6(server.url);
    closers.push(async () => void appRedis.disconnect());
    expect(appRedis instanceof Redis).toBe(false);
    const prefix = `sy-conn-${randomBytes(3).toString("hex")}`;
    const ran: number[] = [];
    const job = defineJob({
      name: "app-redis",
      schema: z.object({ n: z.number() }),
      handler: (payload) => void ran.push(payload.n),
    });
    const client = createSwitchyard({
      backend: bullmq({ connection: appRedis, prefix }),
      jobs: [job],
      logger: silentLogger,
    });
    closers.unshift(() => client.close());
    await client.enqueue(job, { n: 1 });
    expect(await countJobs(server.url, prefix, "app-redis")).toBe(1);
    expect(await countJobs(REDIS_URL, prefix, "app-redis")).toBe(0); // not the default address
    const worker = client.work({ concurrency: 1 });
    await worker.ready;
    await waitFor(() => ran.length === 1, {
      message: "the worker (on duplicates of the app's client) to run it",
    });
    await worker.stop();
    await client.close();
    expect(appRedis.status).toBe("ready");
  });

  it("refuses a connection it does not recognise with a ConfigError instead of connecting elsewhere", () => {
    class NotARedisClient {
      readonly host = "10.0.0.1";
    }
    const nodeRedisLike = {
      connect: async () => {},
      disconnect: async () => {},
      duplicate: () => ({}),
      isOpen: false,
    };
    const cluster = new Cluster6([{ host: "127.0.0.1", port: 7000 }], { lazyConnect: true });
    const refused: Array<[unknown, RegExp]> = [
      [new NotARedisClient(), /connection must be an ioredis client.*NotARedisClient/],
      [
        Object.assign(Object.create({ inherited: true }), nodeRedisLike),
        /connection must be an ioredis client/,
      ],
      [new Map(), /connection must be an ioredis client/],
      ["redis://127.0.0.1:6379", /connection must be an ioredis client/],
      [null, /connection must be an ioredis client/],
      [cluster, /Redis Cluster/],
      [{ keyPrefix: "app:" }, /keyPrefix/],
    ];
    for (const [connection, message] of refused) {
      expect(() => bullmq({ connection: connection as never }), String(message)).toThrow(ConfigError);
      expect(() => bullmq({ connection: connection as never })).toThrow(message);
    }
    cluster.disconnect();
    expect(typed).toHaveLength(4);
    for (const options of typed) {
      const connection = options.connection as { disconnect?: () => void } | undefined;
      connection?.disconnect?.();
    }
  });
});
