import { defineJob } from "@switchyard/core";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { z } from "zod";
import { type ChildWorker, startChild } from "./child-worker.js";

/**
 * The fault tests' load: worker processes running fixtures/load-worker.ts, which count each execution
 * of a job in Redis (`<prefix>:executions`, field n), and what to read back afterwards.
 */

/** The producer's definition of the load job (its handler runs in the worker processes only). */
export function loadJob(name: string) {
  return defineJob({
    name,
    schema: z.object({ n: z.number() }),
    retry: { maxAttempts: 20, backoff: { type: "fixed", delay: "100ms" } },
    handler: () => {},
  });
}

/** A worker process on `url` and `prefix` (locks of 3 s, stalled check every 1 s). */
export function startLoadWorker(options: {
  url: string;
  prefix: string;
  name: string;
  concurrency: number;
  handlerMs: number;
}): ChildWorker {
  return startChild("load-worker.ts", {
    REDIS_URL: options.url,
    LOAD_PREFIX: options.prefix,
    LOAD_JOB: options.name,
    CONCURRENCY: String(options.concurrency),
    HANDLER_MS: String(options.handlerMs),
  });
}

/** Executions per payload n, as the worker processes counted them. */
export async function executions(url: string, prefix: string): Promise<Map<number, number>> {
  const redis = new Redis(url);
  try {
    const counts = await redis.hgetall(`${prefix}:executions`);
    return new Map(Object.entries(counts).map(([n, count]) => [Number(n), Number(count)]));
  } finally {
    redis.disconnect();
  }
}

/** BullMQ's job counts of the job's queue. */
export async function jobCounts(url: string, prefix: string, name: string) {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection, prefix });
  try {
    return await queue.getJobCounts("completed", "failed", "active", "wait", "delayed", "prioritized");
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
