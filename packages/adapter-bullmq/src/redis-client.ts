import type { Redis } from "ioredis";

/**
 * An ioredis client as the adapter sees it: by its shape, not `instanceof`. An app's ioredis is often
 * another copy than the adapter's (another major version, or a second install), and `instanceof` is
 * false for it; BullMQ recognises clients by their methods as well. ioredis 5 and 6 clients both fit.
 */
export interface IoredisClient {
  readonly status: string;
  readonly options: object;
  connect(): Promise<void>;
  disconnect(reconnect?: boolean): void;
  quit(): Promise<unknown>;
  duplicate(override?: object): IoredisClient;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

const CLIENT_METHODS = ["connect", "disconnect", "quit", "duplicate", "on", "sendCommand", "defineCommand"];

/** True for an ioredis client (or Cluster) of any copy or major version. */
export function isIoredisClient(value: unknown): value is IoredisClient {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.status === "string" &&
    typeof candidate.options === "object" &&
    CLIENT_METHODS.every((name) => typeof candidate[name] === "function")
  );
}

/**
 * The adapter calls the same ioredis commands on every client it holds, whichever copy made it; its
 * code is typed against its own ioredis, so an app's client is viewed through that type.
 */
export function asRedis(client: IoredisClient): Redis {
  return client as unknown as Redis;
}

/**
 * Closes a client at once. ioredis 5 leaves a client that waits to reconnect (Redis unreachable) in
 * "reconnecting" for ever when it is disconnected: no "end" event, and the commands it queued never
 * settle (ioredis issue #1247), so anything waiting for it, BullMQ's close included, hangs. ioredis 6
 * ends such a client itself; for ioredis 5 the adapter does what ioredis 6 does.
 */
export function disconnectNow(client: IoredisClient): void {
  if (client.status === "end") return;
  const waitingToReconnect = client.status === "reconnecting";
  client.disconnect();
  if (!waitingToReconnect || client.status !== "reconnecting") return;
  const internals = client as unknown as {
    manuallyClosing?: boolean;
    setStatus?: (status: string) => void;
    flushQueue?: (error: Error) => void;
  };
  if (typeof internals.setStatus !== "function" || typeof internals.flushQueue !== "function") return;
  internals.manuallyClosing = false;
  internals.setStatus("end");
  internals.flushQueue(new Error("Connection is closed."));
}

/** How long a polite QUIT may take before the connection is cut (a frozen Redis never answers it). */
const QUIT_TIMEOUT_MS = 1_000;

/**
 * Closes a client politely (QUIT) when it is connected, at once otherwise; cut after `timeoutMs`
 * (default 1 s) if Redis does not answer the QUIT.
 */
export async function closeClient(client: IoredisClient, timeoutMs = QUIT_TIMEOUT_MS): Promise<void> {
  if (client.status === "end") return;
  if (client.status !== "ready" || timeoutMs <= 0) {
    disconnectNow(client);
    return;
  }
  const timer = setTimeout(() => disconnectNow(client), timeoutMs);
  try {
    await client.quit();
  } catch {
    disconnectNow(client);
  } finally {
    clearTimeout(timer);
  }
}
