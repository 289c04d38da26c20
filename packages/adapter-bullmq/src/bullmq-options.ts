import type { Duration } from "@switchyard/core";
import type { KeepJobs } from "bullmq";
import type { Redis, RedisOptions } from "ioredis";

/** What `bullmq(options)` takes. Every field is optional; each default is written below. */
export interface BullmqBackendOptions {
  /**
   * Your own ioredis client, or ioredis options. A client you pass stays yours: the adapter uses it to
   * enqueue, duplicates it for its workers and subscriber, and does not close it. Exclusive with `url`.
   * Default: a client the adapter creates from `url` on first use and closes in `close()`.
   */
  connection?: Redis | RedisOptions;
  /** The Redis to use when `connection` is not given. Default `"redis://127.0.0.1:6379"`. */
  url?: string;
  /**
   * Prefix of every Redis key the adapter writes (BullMQ's `prefix`). Each job is a BullMQ queue named
   * after it: `<prefix>:<job name>:...`. Default `"switchyard"`.
   */
  prefix?: string;
  /**
   * How long a call from the client (enqueue, get, cancel, retry, listFailed, schedules) waits for
   * Redis, connecting included, before it fails with RedisUnavailableError. Default `"5s"`.
   */
  commandTimeout?: Duration;
  /** How long an idempotency key is kept when neither the job nor the enqueue gives a ttl. Default `"24h"`. */
  defaultIdempotencyTtl?: Duration;
  /**
   * BullMQ's lock on a running job, renewed by the worker at half this period. A worker that dies
   * keeps its jobs locked until the lock expires; then the stalled check runs them again.
   * Default `"30s"` (BullMQ's default).
   */
  lockDuration?: Duration;
  /** How often workers look for stalled jobs (BullMQ's `stalledInterval`). Default `"30s"` (BullMQ's default). */
  stalledInterval?: Duration;
  /**
   * Which completed jobs BullMQ keeps (its `removeOnComplete`): `get(id)` and results need the job to be
   * kept. Default: all are kept (BullMQ's default); in production set an age or count.
   */
  removeOnComplete?: boolean | number | KeepJobs;
  /** Which failed jobs BullMQ keeps (its `removeOnFail`); `listFailed()` sees the kept ones. Default: all are kept. */
  removeOnFail?: boolean | number | KeepJobs;
  /** How long `get(id)` still reports a job cancelled before it ran (its record is removed). Default `"7d"`. */
  cancelledRetention?: Duration;
}
