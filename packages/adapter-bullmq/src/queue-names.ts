import type { Redis } from "ioredis";

/**
 * How long an operator's client (one with no jobs: the CLI, the dashboard) reuses the queue names it
 * found: finding them is a SCAN of the whole keyspace (about 500 round trips and half a second per
 * 500,000 keys), which a dashboard refreshing every few seconds would otherwise repeat on every call.
 * A job whose first queue appears meanwhile is covered at most this long later.
 */
export const QUEUE_NAMES_TTL_MS = 30_000;

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

/** True when a queue named `name` exists under `prefix` (its `meta` hash, as queueNamesUnder finds). */
export async function queueExists(redis: Redis, prefix: string, name: string): Promise<boolean> {
  return (await redis.exists(`${prefix}:${name}:meta`)) === 1;
}

/**
 * queueNamesUnder, kept for `ttlMs` (QUEUE_NAMES_TTL_MS by default); concurrent calls share one scan,
 * and a scan that fails is not kept.
 */
export class QueueNameCache {
  readonly #find: () => Promise<string[]>;
  readonly #ttlMs: number;
  #names?: Promise<string[]>;
  #foundAt = 0;

  constructor(find: () => Promise<string[]>, ttlMs = QUEUE_NAMES_TTL_MS) {
    this.#find = find;
    this.#ttlMs = ttlMs;
  }

  names(): Promise<string[]> {
    if (this.#names && Date.now() - this.#foundAt < this.#ttlMs) return this.#names;
    const finding = this.#find();
    this.#names = finding;
    this.#foundAt = Date.now();
    finding.catch(() => {
      if (this.#names === finding) this.#names = undefined;
    });
    return finding;
  }
}

/** `text` with Redis glob metacharacters escaped, to match it literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
