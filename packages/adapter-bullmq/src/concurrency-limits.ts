import type { JobDefinition, JobLogger } from "@switchyard/core";
import type { Redis } from "ioredis";

/** How often a running worker says again that it runs (and which limits its code defines). */
export const LIMIT_REFRESH_MS = 5_000;

/** How long a worker's limits count after its last refresh: a worker that died stops counting then. */
export const LIMIT_TTL_MS = 3 * LIMIT_REFRESH_MS;

/**
 * Registers the caller's limit (unless it has none) and sets the queue's BullMQ global concurrency
 * to the lowest limit of the live workers, or removes it when none has one. In one script, so that
 * two workers starting at once cannot leave a stale value behind. Time is Redis's (hosts' clocks
 * differ). Returns the lowest live limit, -1 for none.
 * KEYS: 1 the queue's registry (sorted set: member `<limit>|<worker id>`, score: when it expires),
 *       2 BullMQ's meta hash of the queue (field `concurrency`: its global concurrency).
 * ARGV: 1 the member to add or refresh ("" for none), 2 its ttl in ms, 3 a member to remove ("" for none).
 */
const APPLY_LIMITS = `
local time = redis.call("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
if ARGV[3] ~= "" then redis.call("ZREM", KEYS[1], ARGV[3]) end
if ARGV[1] ~= "" then
  redis.call("ZADD", KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call("PEXPIRE", KEYS[1], tonumber(ARGV[2]))
end
local lowest = -1
for _, member in ipairs(redis.call("ZRANGE", KEYS[1], 0, -1)) do
  local limit = tonumber(string.match(member, "^(%d+)|"))
  if limit and (lowest == -1 or limit < lowest) then lowest = limit end
end
if lowest == -1 then
  redis.call("HDEL", KEYS[2], "concurrency")
else
  redis.call("HSET", KEYS[2], "concurrency", lowest)
end
return lowest
`;

type ApplyLimits = (
  registry: string,
  meta: string,
  member: string,
  ttlMs: number,
  leaving: string,
) => Promise<number>;

/**
 * A job's `concurrency` across processes. It is BullMQ's global concurrency of the job's queue, one
 * value for every worker, while each process's code defines its own (a rolling deploy runs old and new
 * code side by side; a process may leave the limit out). The rule: the lowest limit any live worker
 * defines holds. Each worker registers its jobs' limits in Redis (with an expiry it refreshes every
 * LIMIT_REFRESH_MS) and sets the global concurrency to the lowest registered one; a worker without the
 * limit never lifts another's. A limit stops counting when its worker stops, or LIMIT_TTL_MS after its
 * worker died. A worker whose own limit is not the one that holds logs a warning naming both.
 */
export class ConcurrencyLimits {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #workerId: string;
  readonly #jobs: ReadonlyArray<JobDefinition>;
  readonly #logger: JobLogger;
  readonly #onError: (error: Error) => void;
  /** The lowest live limit each job had at its last refresh, to warn once per change. */
  readonly #held = new Map<string, number>();
  #timer?: ReturnType<typeof setInterval>;
  #refreshing = false;
  #halted = false;

  constructor(options: {
    redis: Redis;
    prefix: string;
    workerId: string;
    jobs: ReadonlyArray<JobDefinition>;
    logger: JobLogger;
    onError: (error: Error) => void;
  }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#workerId = options.workerId;
    this.#jobs = options.jobs;
    this.#logger = options.logger;
    this.#onError = options.onError;
    this.#redis.defineCommand("switchyardApplyLimits", { numberOfKeys: 2, lua: APPLY_LIMITS });
  }

  /** Registers this worker's limits and applies them (part of `ready`), then refreshes them. */
  async start(): Promise<void> {
    await this.#applyAll(false);
    if (this.#halted) return; // stopped while starting
    this.#timer = setInterval(() => this.#refresh(), LIMIT_REFRESH_MS);
    this.#timer.unref?.();
  }

  /** Stops refreshing (a crash: the limits expire on their own). */
  halt(): void {
    this.#halted = true;
    clearInterval(this.#timer);
  }

  /** Stops refreshing and takes this worker's limits back, so the next lowest (or none) holds. */
  async leave(): Promise<void> {
    this.halt();
    await this.#applyAll(true);
  }

  #refresh(): void {
    // A refresh still waiting (Redis down) is enough: the worker's connection queues commands.
    if (this.#refreshing) return;
    this.#refreshing = true;
    this.#applyAll(false)
      .catch((error: unknown) => this.#onError(error as Error))
      .finally(() => {
        this.#refreshing = false;
      });
  }

  async #applyAll(leaving: boolean): Promise<void> {
    const apply = (
      this.#redis as unknown as { switchyardApplyLimits: ApplyLimits }
    ).switchyardApplyLimits.bind(this.#redis);
    await Promise.all(
      this.#jobs.map(async (job) => {
        const member = job.concurrency === undefined ? "" : `${job.concurrency}|${this.#workerId}`;
        const keys = [`${this.#prefix}:${job.name}:switchyard:limits`, `${this.#prefix}:${job.name}:meta`];
        const lowest = await apply(
          keys[0]!,
          keys[1]!,
          leaving ? "" : member,
          LIMIT_TTL_MS,
          leaving ? member : "",
        );
        if (!leaving) this.#warnOnMismatch(job, lowest);
      }),
    );
  }

  #warnOnMismatch(job: JobDefinition, lowest: number): void {
    const own = job.concurrency ?? -1;
    const previous = this.#held.get(job.name);
    this.#held.set(job.name, lowest);
    if (lowest === own || lowest === previous) return;
    this.#logger.warn(
      `bullmq: job "${job.name}" defines ${own === -1 ? "no concurrency limit" : `concurrency ${own}`} in this worker, but another running worker defines concurrency ${lowest}: ${lowest} holds for every worker (the lowest limit of the running workers) until no running worker defines it`,
      { job: job.name, concurrency: own === -1 ? undefined : own, held: lowest },
    );
  }
}
