import { closeClient, disconnectNow, type IoredisClient } from "./redis-client.js";

/**
 * The ioredis clients of one owner (a worker, the producer), including the duplicates BullMQ makes
 * of them for its blocking reads, so that the owner can close every one of them. BullMQ's own close
 * waits for Redis (a QUIT, the end of a blocking read) and hangs while Redis is unreachable; cutting
 * the connections it waits on lets it finish.
 */
export class ConnectionSet {
  readonly #clients = new Set<IoredisClient>();

  /**
   * Adds a client; with `trackDuplicates`, every duplicate made of it later (BullMQ duplicates the
   * connection it is given) is added too. Returns the client.
   */
  add<T extends IoredisClient>(client: T, trackDuplicates = false): T {
    this.#clients.add(client);
    client.on("end", () => this.#clients.delete(client));
    if (trackDuplicates) {
      const duplicate = client.duplicate.bind(client);
      // An own property on a client the adapter created: BullMQ calls it to make its connections.
      (client as { duplicate: IoredisClient["duplicate"] }).duplicate = (override) =>
        this.add(duplicate(override), true);
    }
    return client;
  }

  /** Cuts every connection at once; commands waiting on them fail. */
  disconnectAll(): void {
    for (const client of this.#clients) disconnectNow(client);
    this.#clients.clear();
  }

  /** Closes every connection, politely where connected; cuts the ones still open after `timeoutMs`. */
  async closeAll(timeoutMs?: number): Promise<void> {
    const clients = [...this.#clients];
    this.#clients.clear();
    await Promise.all(clients.map((client) => closeClient(client, timeoutMs)));
  }
}
