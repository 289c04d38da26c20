import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { waitFor } from "@switchyard/testkit";
import { Queue } from "bullmq";
import { Redis } from "ioredis";

/** A port nobody listens on (the OS picks it, then it is released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own on a free port (no persistence), for faults: stop it, freeze it. */
export interface ThrowawayRedis {
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  /** SIGKILL, and resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing answers. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
}

/**
 * Starts a throwaway redis-server (on `port`, else a free one) and waits until it answers. With
 * `persistIn` (a directory), every write is in its append-only file before Redis answers it
 * (`appendfsync always`), so a server started again on that directory has every acknowledged write.
 */
export async function startRedis(
  port?: number,
  options: { persistIn?: string } = {},
): Promise<ThrowawayRedis> {
  const chosen = port ?? (await freePort());
  const persistence =
    options.persistIn === undefined
      ? ["--appendonly", "no"]
      : ["--appendonly", "yes", "--appendfsync", "always", "--dir", options.persistIn];
  const server = spawn(
    "redis-server",
    ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", ...persistence],
    {
      stdio: "ignore",
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("spawn", resolve);
    server.once("error", (error) =>
      reject(new Error(`cannot start redis-server (${error.message}); install Redis to run this test`)),
    );
  });
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const probe = new Redis(chosen, "127.0.0.1", { lazyConnect: true, retryStrategy: () => 50 });
  probe.on("error", () => {});
  try {
    await waitFor(
      () =>
        probe
          .ping()
          .then((reply) => reply === "PONG")
          .catch(() => false),
      { message: `redis-server on port ${chosen}`, timeoutMs: 10_000 },
    );
  } finally {
    probe.disconnect();
  }
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    process: server,
    async kill() {
      if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
      await exited;
    },
    freeze: () => void server.kill("SIGSTOP"),
    thaw: () => void server.kill("SIGCONT"),
  };
}

/**
 * Bytes that clients sent to the server on `port` and it has not read (Linux `ss`): with the server
 * frozen, a request counts here once it was written, which tells a test that a command is in flight.
 */
export function unreadBytes(port: number): number {
  const lines = execFileSync("ss", ["-Htn", "state", "established", `( sport = :${port} )`], {
    encoding: "utf8",
  });
  return lines
    .split("\n")
    .filter((line) => line.trim() !== "")
    .reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[0]), 0);
}

/** How many jobs a BullMQ queue holds in any state, read with BullMQ itself. */
export async function countJobs(url: string, prefix: string, queueName: string): Promise<number> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  connection.on("error", () => {});
  const queue = new Queue(queueName, { connection, prefix });
  try {
    const counts = await queue.getJobCounts();
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
