import { waitFor } from "@switchyard/testkit";
import { Redis } from "ioredis";
import { Redis as Redis6 } from "ioredis6";
import { describe, expect, it } from "vitest";
import { disconnectNow } from "../src/redis-client.js";
import { freePort } from "./throwaway-redis.js";

describe("disconnectNow", () => {
  for (const [major, Client] of [
    ["ioredis 5", Redis],
    ["ioredis 6", Redis6],
  ] as const) {
    it(`ends an ${major} client that waits to reconnect to an unreachable Redis, and fails what it queued`, async () => {
      const client = new Client(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: null });
      client.on("error", () => {});
      const queued = client.get("key").then(
        () => "answered",
        (error: Error) => error.message,
      );
      await waitFor(() => client.status === "reconnecting", { message: "the client to wait to reconnect" });
      const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
      disconnectNow(client);
      await ended; // plain disconnect() on ioredis 5 never gets here (ioredis issue #1247)
      expect(client.status).toBe("end");
      expect(await queued).toMatch(/Connection is closed/);
    });
  }
});
