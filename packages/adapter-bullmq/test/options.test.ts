import { ConfigError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { type BullmqBackendOptions, bullmq } from "../src/index.js";

describe("bullmq() options", () => {
  it("are checked at once, each bad one a ConfigError naming it", () => {
    const bad: Array<[unknown, RegExp]> = [
      ["redis://127.0.0.1:6379", /bullmq\(\): options must be an object/],
      [{ commandTimout: "1s" }, /unknown option "commandTimout"/],
      [{ url: 6379 }, /url must be a redis:\/\/ or rediss:\/\/ URL/],
      [{ url: "127.0.0.1:6379" }, /url must be a redis:\/\/ or rediss:\/\/ URL/],
      [{ url: "redis://127.0.0.1:6379", connection: {} }, /connection or url, not both/],
      [{ commandTimeout: "0ms" }, /commandTimeout must be at least 1 ms/],
      [{ commandTimeout: "30d" }, /commandTimeout must be at most 2147483647 ms/],
      [{ commandTimeout: "soon" }, /commandTimeout must look like/],
      [{ lockDuration: "25d" }, /lockDuration must be at most/],
      [{ stalledInterval: -5 }, /stalledInterval must be a non-negative number/],
      [{ readyTimeout: "0ms" }, /readyTimeout must be at least 1 ms/],
      [{ cancelledRetention: "4000d" }, /cancelledRetention must be at most 10 years/],
      [{ defaultIdempotencyTtl: 1e12 }, /defaultIdempotencyTtl must be at most 10 years/],
      [{ removeOnComplete: -1 }, /removeOnComplete must be true, false, a count/],
      [{ removeOnFail: { ages: 60 } }, /removeOnFail must be true, false, a count/],
      [{ prefix: "has space" }, /prefix must be/],
    ];
    for (const [options, message] of bad) {
      expect(() => bullmq(options as BullmqBackendOptions), JSON.stringify(options)).toThrow(ConfigError);
      expect(() => bullmq(options as BullmqBackendOptions)).toThrow(message);
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
