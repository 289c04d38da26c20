import { ConfigError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { type BullmqBackendOptions, bullmq } from "../src/index.js";

describe("bullmq() options", () => {
  it("are checked at once, each bad one a ConfigError naming it in one shape: <option> must ..., got ...", () => {
    const bad: Array<[unknown, RegExp]> = [
      ["redis://127.0.0.1:6379", /^bullmq\(\): options must be an object, got "redis/],
      [{ commandTimout: "1s" }, /unknown option "commandTimout"/],
      [{ url: 6379 }, /url must be a redis:\/\/ or rediss:\/\/ URL or a Unix socket path, got 6379$/],
      [{ url: "127.0.0.1:6379" }, /url must be a redis:\/\/ or rediss:\/\/ URL.*, got "127.0.0.1:6379"$/],
      [
        { url: "redis://127.0.0.1:6379", connection: {} },
        /url must be left out when connection is given.*, got both$/,
      ],
      [{ commandTimeout: "0ms" }, /commandTimeout must be at least 1 ms, got 0 ms$/],
      [{ commandTimeout: "30d" }, /commandTimeout must be at most 2147483647 ms.*, got 2592000000 ms$/],
      [{ commandTimeout: "soon" }, /commandTimeout must look like .*, got "soon"$/],
      [{ lockDuration: "25d" }, /lockDuration must be at most 2147483647 ms/],
      [{ stalledInterval: -5 }, /stalledInterval must be a non-negative number of milliseconds, got -5$/],
      [{ readyTimeout: "0ms" }, /readyTimeout must be at least 1 ms, got 0 ms$/],
      [{ cancelledRetention: "4000d" }, /cancelledRetention must be at most 10 years/],
      [{ defaultIdempotencyTtl: 1e12 }, /defaultIdempotencyTtl must be at most 10 years/],
      [{ removeOnComplete: -1 }, /removeOnComplete must be true, false, a count.*, got -1$/],
      [
        { removeOnFail: { ages: 60 } },
        /removeOnFail must be true, false, a count.*, got an object \(Object\)$/,
      ],
      [{ prefix: "has space" }, /prefix must be 1-64 letters.*, got "has space"$/],
      [{ connection: new Map() }, /connection must be an ioredis client .*, got an object \(Map\)$/],
      [
        { connection: { keyPrefix: "app:" } },
        /connection must be without an ioredis keyPrefix.*, got keyPrefix "app:"$/,
      ],
    ];
    for (const [options, message] of bad) {
      let thrown: unknown;
      try {
        bullmq(options as BullmqBackendOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(options)).toBeInstanceOf(ConfigError);
      const text = (thrown as Error).message;
      expect(text).toMatch(message);
      // One shape for every option of the adapter (the unknown-key message is core's checkOptions).
      if (!/unknown option/.test(text)) expect(text).toMatch(/^bullmq\(\): \w+ must .+, got .+$/);
    }
  });

  it("take undefined for any option (process.env.X), and long ready timeouts", async () => {
    const backend = bullmq({
      url: undefined,
      prefix: undefined,
      commandTimeout: undefined,
      readyTimeout: "30d",
      removeOnComplete: { age: 3_600, count: 1_000 },
      removeOnFail: 10,
    });
    await backend.close(); // nothing was connected
  });
});
