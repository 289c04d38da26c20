import { ConfigError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import {
  type BullmqBackendOptions,
  bullmq,
  bullmqCapabilities,
  bullmqPostgresCapabilities,
} from "../src/index.js";

const URL = "postgres://postgres@127.0.0.1:5432/test";

describe("bullmq({ postgres }) options", () => {
  it("are checked at once, each bad one a ConfigError naming it", () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ postgres: URL }, /^bullmq\(\): postgres: options must be an object, got "postgres:/],
      [
        { postgres: {} },
        /postgres\.connectionString must be a postgres:\/\/ or postgresql:\/\/ URL, got undefined$/,
      ],
      [
        { postgres: { connectionString: "redis://x" } },
        /postgres\.connectionString must be .*, got "redis:\/\/x"$/,
      ],
      [{ postgres: { connectionString: URL, shema: "x" } }, /bullmq\(\): postgres: unknown option "shema"/],
      [{ postgres: { connectionString: URL, schema: "a-b" } }, /postgres\.schema must be .*, got "a-b"$/],
      [
        { postgres: { connectionString: URL, migrate: "yes" } },
        /postgres\.migrate must be true or false, got "yes"$/,
      ],
      [
        { postgres: { connectionString: URL, maxConnections: 0 } },
        /postgres\.maxConnections must be .*, got 0$/,
      ],
      [
        { postgres: { connectionString: URL }, lockDuration: "25d" },
        /lockDuration must be at most 2147483647 ms/,
      ],
      [{ postgres: { connectionString: URL }, wat: 1 }, /unknown option "wat".*postgres/],
    ];
    for (const [options, message] of bad) {
      let thrown: unknown;
      try {
        bullmq(options as BullmqBackendOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(options)).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message).toMatch(message);
    }
  });

  it("are exclusive with the Redis options: connection, url and prefix are a ConfigError beside postgres", () => {
    for (const redis of [{ connection: {} }, { url: "redis://127.0.0.1:6379" }, { prefix: "app" }]) {
      const name = Object.keys(redis)[0];
      expect(() => bullmq({ postgres: { connectionString: URL }, ...redis })).toThrow(
        new ConfigError(
          `bullmq(): ${name} must be left out when postgres is given (it is a Redis option), got both`,
        ),
      );
    }
  });

  it("give a backend with the PostgreSQL manifest, and connect nothing until used", async () => {
    // An address nothing listens on: creating and closing the backend must not try it.
    const backend = bullmq({ postgres: { connectionString: "postgres://nobody@127.0.0.1:1/none" } });
    expect(backend.capabilities).toBe(bullmqPostgresCapabilities);
    expect(bullmq({}).capabilities).toBe(bullmqCapabilities);
    await backend.close();
  });

  it("declare what BullMQ's PostgreSQL backend lacks, with a note naming why", () => {
    const { features, notes } = bullmqPostgresCapabilities;
    for (const missing of ["steps.run", "steps.sleep", "steps.invoke"] as const) {
      expect(features[missing], missing).toBe("unsupported");
      expect(notes?.[missing], missing).toMatch(/PostgreSQL/);
    }
    // Everything else is what the Redis adapter has.
    for (const [feature, support] of Object.entries(bullmqCapabilities.features)) {
      if (["steps.run", "steps.sleep", "steps.invoke"].includes(feature)) continue;
      expect(features[feature as keyof typeof features], feature).toBe(support);
    }
  });
});
