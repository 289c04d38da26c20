import type { JobLogger } from "@switchyard/core";
import pg from "pg";

/** The channel the adapter notifies on; payloads are JSON with the schema in `s`. */
export const NOTIFY_CHANNEL = "switchyard";

/** What other processes tell the workers of one schema. */
export interface AdapterNotification {
  s: string;
  /** A running job whose cancellation was requested. */
  cancel?: string;
  /** Epoch milliseconds at which delayed jobs become due, with how many. */
  due?: Array<[at: number, count: number]>;
  /** The schedules changed. */
  schedules?: true;
}

/** The payload of a notification to the workers of `schema`. */
export function notificationPayload(schema: string, body: Omit<AdapterNotification, "s">): string {
  return JSON.stringify({ s: schema, ...body });
}

/**
 * A dedicated connection (not from the pool, so a busy pool cannot starve it) that LISTENs for the
 * adapter's notifications and runs the workers' heartbeats. Reconnects with backoff until stopped.
 */
export class NotificationListener {
  readonly #config: pg.ClientConfig;
  readonly #schema: string;
  readonly #onNotification: (notification: AdapterNotification) => void;
  readonly #onReconnect: () => void;
  readonly #logger: JobLogger;
  #client?: pg.Client;
  #active = false;
  #retryTimer?: NodeJS.Timeout;
  #failures = 0;

  constructor(options: {
    config: pg.ClientConfig;
    schema: string;
    onNotification: (notification: AdapterNotification) => void;
    /** Called after a reconnection: notifications may have been missed meanwhile. */
    onReconnect: () => void;
    logger: JobLogger;
  }) {
    this.#config = options.config;
    this.#schema = options.schema;
    this.#onNotification = options.onNotification;
    this.#onReconnect = options.onReconnect;
    this.#logger = options.logger;
  }

  /** Connects and listens; rejects when the first connection fails. */
  async start(): Promise<void> {
    this.#active = true;
    await this.#connect();
  }

  /** The listening connection, when it is up. */
  get client(): pg.Client | undefined {
    return this.#client;
  }

  async stop(): Promise<void> {
    this.#active = false;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.#config);
    client.on("error", (error) => this.#lost(client, error));
    client.on("end", () => this.#lost(client));
    client.on("notification", (message) => {
      if (message.channel !== NOTIFY_CHANNEL || !message.payload) return;
      let parsed: AdapterNotification;
      try {
        parsed = JSON.parse(message.payload) as AdapterNotification;
      } catch {
        return;
      }
      if (parsed.s === this.#schema) this.#onNotification(parsed);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${NOTIFY_CHANNEL}"`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (!this.#active) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#failures = 0;
  }

  #lost(client: pg.Client, error?: Error): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    if (!this.#active) return;
    this.#logger.warn("postgres: notification connection lost; reconnecting", {
      error: error ? error.message : "connection ended",
    });
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delay = Math.min(5_000, 100 * 2 ** this.#failures++);
    this.#retryTimer = setTimeout(() => {
      this.#connect().then(
        () => {
          try {
            this.#onReconnect();
          } catch (error) {
            this.#logger.warn("postgres: waking workers after a reconnection failed", {
              error: (error as Error).message,
            });
          }
        },
        () => {
          if (this.#active) this.#scheduleReconnect();
        },
      );
    }, delay);
    // Stopping the listener clears it; until then the workers' own handles keep the process alive.
    this.#retryTimer.unref();
  }
}
