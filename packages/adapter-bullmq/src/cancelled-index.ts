import type { ChainableCommander, Redis } from "ioredis";
import { RedisScript } from "./redis-script.js";

/**
 * BullMQ has no cancelled state, so the adapter indexes the jobs it cancels, per job, to count and list
 * them: two sorted sets, member the BullMQ job id, score the time of the cancellation (ms).
 * - `<prefix>:<job>:switchyard-cancelled`: jobs cancelled before they ran. BullMQ removed them; each
 *   counts while its record is kept (cancelledRetention), and entries older than that are dropped at
 *   each new cancellation, so the set holds what the records hold.
 * - `<prefix>:<job>:switchyard-cancelled-running`: jobs cancelled while they ran. Each counts as
 *   cancelled once BullMQ has failed it, for as long as BullMQ keeps it failed; an entry whose job
 *   completed anyway or was removed is dropped when the jobs are counted, which each running
 *   cancellation also does: the set holds at most the jobs BullMQ keeps failed (its removeOnFail),
 *   plus those still running, whether or not anything calls counts().
 */
export function cancelledIndexKey(prefix: string, queue: string, running: boolean): string {
  return `${prefix}:${queue}:switchyard-cancelled${running ? "-running" : ""}`;
}

/** Adds the index entry of a job being cancelled to `multi` (the transaction that records it). */
export function indexCancellation(
  multi: ChainableCommander,
  options: { prefix: string; queue: string; jobId: string; running: boolean; retentionMs: number },
): ChainableCommander {
  const key = cancelledIndexKey(options.prefix, options.queue, options.running);
  const now = Date.now();
  multi.zadd(key, now, options.jobId);
  return options.running ? multi : multi.zremrangebyscore(key, "-inf", now - options.retentionMs);
}

/**
 * One job's cancelled jobs, and how many of them are in BullMQ's failed set (which counts them as
 * failed), in one atomic pass.
 * KEYS: the two indexes (before running, while running), BullMQ's failed and completed sets.
 * ARGV: the job key prefix (`<prefix>:<job>:`), the oldest score of a kept record.
 */
const COUNT_CANCELLED = new RedisScript(`
local cancelled = redis.call("ZCOUNT", KEYS[1], ARGV[2], "+inf")
local failed = 0
local running = redis.call("ZRANGE", KEYS[2], 0, -1)
for _, id in ipairs(running) do
  if redis.call("ZSCORE", KEYS[3], id) then
    failed = failed + 1
  elseif redis.call("ZSCORE", KEYS[4], id) or redis.call("EXISTS", ARGV[1] .. id) == 0 then
    redis.call("ZREM", KEYS[2], id)
  end
end
return { cancelled + failed, failed }
`);

export async function countCancelled(
  redis: Redis,
  options: { prefix: string; queue: string; failedKey: string; completedKey: string; retentionMs: number },
): Promise<{ cancelled: number; failed: number }> {
  const { prefix, queue } = options;
  const [cancelled, failed] = (await COUNT_CANCELLED.run(
    redis,
    [
      cancelledIndexKey(prefix, queue, false),
      cancelledIndexKey(prefix, queue, true),
      options.failedKey,
      options.completedKey,
    ],
    [`${prefix}:${queue}:`, String(Date.now() - options.retentionMs)],
  )) as [number, number];
  return { cancelled, failed };
}
