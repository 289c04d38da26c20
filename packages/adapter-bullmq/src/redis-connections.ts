import { type LongTimeout, setLongTimeout } from "@switchyard/core/adapter";
import { Redis, type RedisOptions } from "ioredis";
import type { RedisSource } from "./bullmq-options.js";
import { ConnectionSet } from "./connection-set.js";
import { asRedis } from "./redis-client.js";
import { redisUnavailable } from "./unavailable.js";

/**
 * ioredis waits this long for a socket it ends to close before destroying it (its default, 2 s, is
 * an un-unref'd timer: a process lingered 2 s after close()). Ending a connection loses nothing that
 * waiting would keep, so a short wait is enough.
 */
const DISCONNECT_TIMEOUT_MS = 100;

/** A worker's own connections: the one its BullMQ workers share (and duplicate) and its subscriber. */
export interface WorkerConnections {
  /** The connection given to BullMQ (which duplicates it for each worker's blocking reads). */
  readonly connection: Redis;
  /** The cancel-notice subscriber. */
  readonly subscriber: Redis;
  /** True while the worker's connection to Redis is up. */
  readonly connected: boolean;
  /** Cuts every connection of the worker, BullMQ's duplicates included. */
  disconnectAll(): void;
  /** Closes them, politely where connected; cuts what is still open after `timeoutMs` (default 1 s). */
  closeAll(timeoutMs?: number): Promise<void>;
}

/**
 * The Redis connections of one backend, each created on first use: a producer for the client's calls
 * (shared by every job's Queue), and per worker a connection for its BullMQ workers (BullMQ
 * duplicates it again for each one's blocking reads) and a subscriber for cancel notices. `close()`
 * closes the ones the adapter created; a client passed in by the caller stays open.
 */
export class RedisConnections {
  readonly #source: RedisSource;
  readonly #timeoutMs: number;
  readonly #onError: (error: Error) => void;
  readonly #owned = new ConnectionSet();
  readonly #workers = new Set<ConnectionSet>();
  #producer?: Redis;
  #watchdog?: ReturnType<typeof setInterval>;
  /** Client calls waiting for Redis now, and when one last finished (or the first of them began). */
  #inFlight = 0;
  #answeredAt = 0;

  constructor(options: { source: RedisSource; timeoutMs: number; onError: (error: Error) => void }) {
    this.#source = options.source;
    this.#timeoutMs = options.timeoutMs;
    this.#onError = options.onError;
  }

  /**
   * The client calls' connection. Nothing is queued while it is disconnected (`enableOfflineQueue:
   * false`) and commands in flight when it drops fail at once (`maxRetriesPerRequest: 0`), so a command
   * is never sent late, after its caller was told Redis is unavailable. A connection that stays silent
   * while calls wait is dropped by a watchdog (see `callStarted`), which fails those calls: one timer
   * for the backend, not ioredis's `commandTimeout` timer per command, which costs a tenth of enqueue
   * throughput. A client the caller gave is used as it is (its own queueing rules apply).
   */
  get producer(): Redis {
    if (!this.#producer) {
      if ("client" in this.#source) {
        this.#producer = asRedis(this.#source.client);
      } else {
        const producer = this.#create(this.#owned, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          connectTimeout: this.#timeoutMs,
        });
        this.#producer = producer;
        // commandTimeout is at most 2^31-1 ms (checked), so this period is a valid timer.
        this.#watchdog = setInterval(() => this.#dropIfSilent(producer), Math.max(25, this.#timeoutMs / 4));
        this.#watchdog.unref?.();
      }
    }
    return this.#producer;
  }

  /** Marks the start of a client call on the producer; `callEnded` its end (whatever the outcome). */
  callStarted(): void {
    if (this.#inFlight++ === 0) this.#answeredAt = Date.now();
  }

  callEnded(): void {
    this.#inFlight--;
    this.#answeredAt = Date.now();
  }

  /** Calls wait, yet none has finished for the whole timeout: the connection is hung. Reconnect. */
  #dropIfSilent(producer: Redis): void {
    if (this.#inFlight === 0 || Date.now() - this.#answeredAt < this.#timeoutMs) return;
    if (producer.status !== "ready") return;
    this.#answeredAt = Date.now();
    const silent = new Error(`Redis did not answer for ${this.#timeoutMs} ms: reconnecting`);
    this.#onError(silent);
    // Destroyed, not ended: a hung peer never answers a polite close. ioredis fails the calls in flight
    // (maxRetriesPerRequest: 0) and reconnects.
    producer.stream.destroy(silent);
  }

  /**
   * A new set of connections for one worker. BullMQ requires `maxRetriesPerRequest: null` for them
   * and waits out disconnections; the set lets the worker cut them all when it stops.
   */
  forWorker(): WorkerConnections {
    const set = new ConnectionSet();
    this.#workers.add(set);
    const options: RedisOptions = { maxRetriesPerRequest: null, enableOfflineQueue: true };
    const connection = this.#create(set, options, true);
    const subscriber = this.#create(set, options);
    return {
      connection,
      subscriber,
      get connected() {
        return connection.status === "ready";
      },
      disconnectAll: () => {
        set.disconnectAll();
        this.#workers.delete(set);
      },
      closeAll: async (timeoutMs?: number) => {
        await set.closeAll(timeoutMs);
        this.#workers.delete(set);
      },
    };
  }

  /** Resolves once `client` is connected; rejects with BackendUnavailableError (stored "no") after the timeout. */
  ready(client: Redis = this.producer): Promise<void> | undefined {
    if (client.status === "ready") return undefined;
    return new Promise<void>((resolve, reject) => {
      let lastError: Error | undefined;
      const onError = (error: Error) => {
        lastError = error;
      };
      let timer: LongTimeout | undefined;
      const done = () => {
        timer?.clear();
        client.off("ready", onReady);
        client.off("error", onError);
      };
      const onReady = () => {
        done();
        resolve();
      };
      timer = setLongTimeout(() => {
        done();
        const detail = lastError ? `: ${lastError.message}` : "";
        reject(
          redisUnavailable(
            `Redis did not answer within ${this.#timeoutMs} ms (connection ${client.status}${detail}); nothing was sent`,
            "no",
            lastError,
          ),
        );
      }, this.#timeoutMs);
      client.on("ready", onReady);
      client.on("error", onError);
      if (client.status === "wait") client.connect().catch(() => {});
    });
  }

  /** Closes the connections this object created (workers' too), quitting politely where connected. */
  async close(): Promise<void> {
    clearInterval(this.#watchdog);
    this.#producer = undefined;
    const sets = [this.#owned, ...this.#workers];
    this.#workers.clear();
    await Promise.all(sets.map((set) => set.closeAll()));
  }

  #create(set: ConnectionSet, overrides: RedisOptions, trackDuplicates = false): Redis {
    const own: RedisOptions = { ...overrides, disconnectTimeout: DISCONNECT_TIMEOUT_MS };
    const source = this.#source;
    const client =
      "client" in source
        ? asRedis(source.client.duplicate(own))
        : "url" in source
          ? new Redis(source.url, own)
          : new Redis({ ...source.options, ...own });
    client.on("error", this.#onError);
    return set.add(client, trackDuplicates);
  }
}
