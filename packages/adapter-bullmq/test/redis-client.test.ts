import { waitFor } from "@switchyard/testkit";
import { Redis } from "ioredis";
import { Redis as Redis6 } from "ioredis6";
import { describe, expect, it } from "vitest";
import { disconnectNow } from "../src/redis-client.js";
import { freePort } from "./throwaway-redis.js";

describe("disconnectNow", () => {
  const majors: Array<[string, (url: string) => Redis | Redis6]> = [
    ["ioredis 5", (url) => new Redis(url, { maxRetriesPerRequest: null })],
    ["ioredis 6", (url) => new Redis6(url, { maxRetriesPerRequest: null })],
  ];
  for (const [major, connect] of majors) {
    it(`ends an ${major} client that waits to reconnect to an unreachable Redis, and fails what it queued`, async () => {
      const client = connect(`redis://127.0.0.1:${await freePort()}`);
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
