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
   * The client calls' connection. It does not queue commands while disconnected
   * (`enableOfflineQueue: false`) and times commands out (`commandTimeout`), so a call never hangs and a
   * command is never sent late, after its caller was told it failed.
   */
  get producer(): Redis {
    if (!this.#producer) {
      this.#producer =
        this.#given ??
        this.#create({ enableOfflineQueue: false, commandTimeout: this.#timeoutMs, maxRetriesPerRequest: 1 });
    }
    return this.#producer;
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
