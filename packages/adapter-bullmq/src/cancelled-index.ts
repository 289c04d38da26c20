import type { ChainableCommander, Redis } from "ioredis";
import { RedisScript } from "./redis-script.js";

/**
 * BullMQ has no cancelled state, so the adapter indexes the jobs it cancels, per job, to count and list
 * them: the sorted set `<prefix>:<job>:switchyard-cancelled`, member the BullMQ job id, score the time of
 * the cancellation (ms). A job cancelled before it ran is removed from BullMQ and counts as cancelled
 * while its record is kept (cancelledRetention); one cancelled while it ran counts as cancelled once
 * BullMQ has failed it, for as long as BullMQ keeps it failed.
 */
export function cancelledIndexKey(prefix: string, queue: string): string {
  return `${prefix}:${queue}:switchyard-cancelled`;
}

/** Adds the index entry of a job being cancelled to `multi` (the transaction that records it). */
export function indexCancellation(
  multi: ChainableCommander,
  prefix: string,
  queue: string,
  jobId: string,
): ChainableCommander {
  return multi.zadd(cancelledIndexKey(prefix, queue), Date.now(), jobId);
}

/**
 * Counts one job's cancelled jobs, and how many of them are in BullMQ's failed set (which counts them
 * as failed), in one atomic pass; drops the entries that no longer name a cancelled job (the record
 * expired, or the job cancelled while running ended otherwise, or left the failed set), once they are
 * older than the retention.
 * KEYS: the index, BullMQ's failed set. ARGV: the job key prefix (`<prefix>:<job>:`), the oldest score kept.
 */
const COUNT_CANCELLED = new RedisScript(`
local entries = redis.call("ZRANGE", KEYS[1], 0, -1, "WITHSCORES")
local cancelled, failed = 0, 0
local oldest = tonumber(ARGV[2])
for i = 1, #entries, 2 do
  local id, at = entries[i], tonumber(entries[i + 1])
  if redis.call("ZSCORE", KEYS[2], id) then
    cancelled = cancelled + 1
    failed = failed + 1
  elseif redis.call("EXISTS", ARGV[1] .. id) == 0 and redis.call("EXISTS", ARGV[1] .. id .. ":cancelled") == 1 then
    cancelled = cancelled + 1
  elseif at < oldest then
    redis.call("ZREM", KEYS[1], id)
  end
end
return { cancelled, failed }
`);

export async function countCancelled(
  redis: Redis,
  options: { prefix: string; queue: string; failedKey: string; retentionMs: number },
): Promise<{ cancelled: number; failed: number }> {
  const { prefix, queue } = options;
  const [cancelled, failed] = (await COUNT_CANCELLED.run(
    redis,
    [cancelledIndexKey(prefix, queue), options.failedKey],
    [`${prefix}:${queue}:`, String(Date.now() - options.retentionMs)],
  )) as [number, number];
  return { cancelled, failed };
}
