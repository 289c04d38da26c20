import { execFile, execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The newest installed PostgreSQL's binaries (Debian layout). */
function binaries(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL binaries under ${root}: install postgresql`);
  return join(root, versions[0]!, "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL binary as the `postgres` user when this process is root (initdb refuses root). */
function run(binary: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? "runuser" : binary;
  const argv = asRoot ? ["-u", "postgres", "--", binary, ...args] : args;
  const result = spawnSync(command, argv, { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${binary} ${args.join(" ")} failed: ${result.stderr || result.stdout}`);
  }
}

/** `run`, without blocking the event loop (the test's own clients go on meanwhile). */
function runAsync(binary: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? "runuser" : binary;
  const argv = asRoot ? ["-u", "postgres", "--", binary, ...args] : args;
  return new Promise((resolve, reject) => {
    execFile(command, argv, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`${binary} ${args.join(" ")} failed: ${stderr || stdout || error.message}`));
      else resolve();
    });
  });
}

/**
 * A PostgreSQL server of our own on a free port, for tests that stop and restart the server. Trust
 * auth, user `postgres`, database `postgres`. Only this server is ever stopped.
 */
export async function startThrowawayPostgres(): Promise<{
  url: string;
  stop(mode?: "fast" | "immediate"): void;
  start(): void;
  /** `pg_ctl restart`: stops in `mode` (every connection is cut) and starts again, waiting until it accepts connections. */
  restart(mode: "fast" | "immediate"): Promise<void>;
  destroy(): void;
}> {
  const bin = binaries();
  const dir = mkdtempSync(join(tmpdir(), "sy-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const port = await freePort();
  if (process.getuid?.() === 0) execFileSync("chown", ["postgres", dir]);
  run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const serverOptions = [
    "-l",
    join(dir, "log"),
    "-w",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
  ];
  const start = () => run(join(bin, "pg_ctl"), ["-D", data, ...serverOptions, "start"]);
  const restart = (mode: "fast" | "immediate") =>
    runAsync(join(bin, "pg_ctl"), ["-D", data, ...serverOptions, "-m", mode, "restart"]);
  const stop = (mode: "fast" | "immediate" = "fast") =>
    run(join(bin, "pg_ctl"), ["-D", data, "-w", "-m", mode, "stop"]);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    restart,
    destroy() {
      try {
        stop("immediate");
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
