import type { Redis } from "ioredis";

/**
 * The names of the queues under `prefix` (each job is its own queue), found by the `meta` hash BullMQ
 * keeps for every queue a client of the job has written to. What an operator's client (one with no
 * jobs: the CLI, the dashboard) covers when no job is named.
 */
export async function queueNamesUnder(redis: Redis, prefix: string): Promise<string[]> {
  const start = `${prefix}:`;
  const names = new Set<string>();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${globEscape(start)}*:meta`, "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      const name = key.slice(start.length, -":meta".length);
      if (name !== "" && !name.includes(":")) names.add(name); // job names have no colon
    }
  } while (cursor !== "0");
  return [...names].sort();
}

/** `text` with Redis glob metacharacters escaped, to match it literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
