import { ConfigError } from "@switchyard/core";
import { ConnectionClosedError } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { RedisUnavailableError } from "./redis-unavailable-error.js";

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/**
 * The Redis connections of one backend, each created on first use: a producer for the client's calls
 * (shared by every job's Queue), one connection shared by the workers (BullMQ duplicates it again for
 * each worker's blocking reads), and a subscriber per worker for cancel notices. `close()` closes the
 * ones the adapter created; a client passed in by the caller stays open.
 */
export class RedisConnections {
  readonly #given?: Redis;
  readonly #options?: RedisOptions;
  readonly #url?: string;
  readonly #timeoutMs: number;
  readonly #onError: (error: Error) => void;
  #producer?: Redis;
  #worker?: Redis;
  #watchdog?: ReturnType<typeof setInterval>;
  /** Client calls waiting for Redis now, and when one last finished (or the first of them began). */
  #inFlight = 0;
  #answeredAt = 0;
  readonly #owned = new Set<Redis>();

  constructor(options: {
    connection?: Redis | RedisOptions;
    url?: string;
    timeoutMs: number;
    onError: (error: Error) => void;
  }) {
    if (options.connection !== undefined && options.url !== undefined) {
      throw new ConfigError("bullmq(): give connection or url, not both");
    }
    if (options.connection instanceof Redis) this.#given = options.connection;
    else if (options.connection !== undefined) this.#options = options.connection;
    else this.#url = options.url ?? DEFAULT_REDIS_URL;
    this.#timeoutMs = options.timeoutMs;
    this.#onError = options.onError;
  }

  /**
   * The client calls' connection. Nothing is queued while it is disconnected (`enableOfflineQueue:
   * false`) and commands in flight when it drops fail at once (`maxRetriesPerRequest: 0`), so a command
   * is never sent late, after its caller was told Redis is unavailable. A connection that stays silent
   * while calls wait is dropped by a watchdog (see `callStarted`), which fails those calls: one timer
   * for the backend, not ioredis's `commandTimeout` timer per command, which costs a tenth of enqueue
   * throughput.
   */
  get producer(): Redis {
    if (!this.#producer) {
      if (this.#given) {
        this.#producer = this.#given;
      } else {
        const producer = this.#create({
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          connectTimeout: this.#timeoutMs,
        });
        this.#producer = producer;
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
    const silent = new RedisUnavailableError(`Redis did not answer for ${this.#timeoutMs} ms: reconnecting`);
    this.#onError(silent);
    // Destroyed, not ended: a hung peer never answers a polite close. ioredis fails the calls in flight
    // (maxRetriesPerRequest: 0) and reconnects.
    producer.stream.destroy(silent);
  }

  /** The workers' connection: BullMQ requires `maxRetriesPerRequest: null` and waits out disconnections. */
  get worker(): Redis {
    if (!this.#worker) {
      this.#worker = this.#create({ maxRetriesPerRequest: null, enableOfflineQueue: true });
    }
    return this.#worker;
  }

  /** A new connection for a pub/sub subscriber; closed with the others. */
  subscriber(): Redis {
    return this.#create({ maxRetriesPerRequest: null, enableOfflineQueue: true });
  }

  /** Resolves once `client` is connected; rejects with RedisUnavailableError after the timeout. */
  ready(client: Redis = this.producer): Promise<void> | undefined {
    if (client.status === "ready") return undefined;
    return new Promise<void>((resolve, reject) => {
      let lastError: Error | undefined;
      const onError = (error: Error) => {
        lastError = error;
      };
      const done = () => {
        clearTimeout(timer);
        client.off("ready", onReady);
        client.off("error", onError);
      };
      const onReady = () => {
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new RedisUnavailableError(
            `Redis did not answer within ${this.#timeoutMs} ms (connection ${client.status}${lastError ? `: ${lastError.message}` : ""})`,
            { cause: lastError },
          ),
        );
      }, this.#timeoutMs);
      client.on("ready", onReady);
      client.on("error", onError);
      if (client.status === "wait") client.connect().catch(() => {});
    });
  }

  /** Closes the connections this object created, quitting politely and disconnecting if Redis is gone. */
  async close(): Promise<void> {
    clearInterval(this.#watchdog);
    const clients = [...this.#owned];
    this.#owned.clear();
    this.#producer = undefined;
    this.#worker = undefined;
    await Promise.all(clients.map((client) => closeClient(client)));
  }

  #create(overrides: RedisOptions): Redis {
    const base: RedisOptions = { ...this.#options, ...overrides };
    const client = this.#given
      ? this.#given.duplicate(overrides)
      : this.#url !== undefined
        ? new Redis(this.#url, base)
        : new Redis(base);
    client.on("error", this.#onError);
    this.#owned.add(client);
    return client;
  }
}

export async function closeClient(client: Redis): Promise<void> {
  if (client.status === "end") return;
  if (client.status !== "ready") {
    client.disconnect();
    return;
  }
  const timer = setTimeout(() => client.disconnect(), 1_000);
  try {
    await client.quit();
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}

/** True for errors that mean Redis could not be reached or the connection dropped (not a command error). */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return false;
  if (error instanceof ConnectionClosedError) return true;
  const { name, message, code } = (error ?? {}) as { name?: string; message?: string; code?: string };
  if (name === "MaxRetriesPerRequestError") return true;
  if (
    typeof code === "string" &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH)$/.test(code)
  )
    return true;
  return /Connection is closed|Stream isn't writeable|Command timed out|enableOfflineQueue/i.test(
    message ?? "",
  );
}
