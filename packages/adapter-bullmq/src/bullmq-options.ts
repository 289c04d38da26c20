import type { Duration } from "@switchyard/core";
import type { KeepJobs } from "bullmq";
import type { RedisOptions } from "ioredis";
import type { IoredisClient } from "./redis-client.js";

/** What `bullmq(options)` takes. Every field is optional; each default is written below. */
export interface BullmqBackendOptions {
  /**
   * Your own ioredis client (ioredis 5 or 6, any copy: it is recognised by its shape), or ioredis
   * options. A client you pass stays yours: the adapter uses it to enqueue, duplicates it for its
   * workers and subscribers, and does not close it. Exclusive with `url`. Anything else (a Redis
   * Cluster, a node-redis client, a class instance that is not an ioredis client) is a ConfigError:
   * the adapter never falls back to a default address when a connection was given.
   * Default: a client the adapter creates from `url` on first use and closes in `close()`.
   */
  connection?: IoredisClient | RedisOptions | undefined;
  /**
   * The Redis to use when `connection` is not given: `redis://`, `rediss://` (TLS) or a Unix socket
   * path. `undefined` means the default, so `url: process.env.REDIS_URL` works.
   * Default `"redis://127.0.0.1:6379"`.
   */
  url?: string | undefined;
  /**
   * Prefix of every Redis key the adapter writes (BullMQ's `prefix`). Each job is a BullMQ queue named
   * after it: `<prefix>:<job name>:...`. Default `"switchyard"`.
   */
  prefix?: string | undefined;
  /**
   * How long a call from the client (enqueue, get, cancel, retry, listFailed, schedules) waits for
   * Redis, connecting included, before it fails with BackendUnavailableError. At most 2^31-1 ms
   * (about 24.8 days). Default `"5s"`.
   */
  commandTimeout?: Duration | undefined;
  /**
   * How long `worker.ready` waits for Redis before it rejects with BackendUnavailableError (and core
   * stops the worker). Default: no limit. A worker started while Redis is down waits out the outage,
   * logging the connection error (at most every 30 s per message), and starts when Redis answers;
   * set this to fail fast instead, for example when a supervisor restarts failed processes.
   */
  readyTimeout?: Duration | undefined;
  /** How long an idempotency key is kept when neither the job nor the enqueue gives a ttl. Default `"24h"`. */
  defaultIdempotencyTtl?: Duration | undefined;
  /**
   * BullMQ's lock on a running job, renewed by the worker at half this period. A worker that dies
   * keeps its jobs locked until the lock expires; then the stalled check runs them again.
   * At most 2^31-1 ms. Default `"30s"` (BullMQ's default).
   */
  lockDuration?: Duration | undefined;
  /**
   * How often workers look for stalled jobs (BullMQ's `stalledInterval`). At most 2^31-1 ms.
   * Default `"30s"` (BullMQ's default).
   */
  stalledInterval?: Duration | undefined;
  /**
   * Which completed jobs BullMQ keeps (its `removeOnComplete`): `get(id)` and results need the job to be
   * kept. Default: all are kept (BullMQ's default); in production set an age or count.
   */
  removeOnComplete?: boolean | number | KeepJobs | undefined;
  /** Which failed jobs BullMQ keeps (its `removeOnFail`); `listFailed()` sees the kept ones. Default: all are kept. */
  removeOnFail?: boolean | number | KeepJobs | undefined;
  /** How long `get(id)` still reports a job cancelled before it ran (its record is removed). Default `"7d"`. */
  cancelledRetention?: Duration | undefined;
}
