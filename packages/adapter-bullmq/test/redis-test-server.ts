import { Redis } from "ioredis";

/** The Redis the tests use: `REDIS_URL`, default the local server. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Fails with how to start Redis when it does not answer (the suite does not skip). */
export async function assertRedisReachable(url: string = REDIS_URL): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${url} (${(error as Error).message}). Start it with ` +
        "`redis-server --daemonize yes --port 6379 --save '' --appendonly no`, or set REDIS_URL.",
    );
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under a prefix (UNLINK in batches), leaving the shared Redis as it was. */
export async function deleteKeys(pattern: string, url: string = REDIS_URL): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
  return deleted;
}
