import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = join(appDir, "../..");
const nextBin = createRequire(join(appDir, "package.json")).resolve("next/dist/bin/next");

/** The environment of every Next command: no telemetry, a production build. */
function nextEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", ...extra };
}

/**
 * `next build` of the example, as a deployment would build it. The app imports the Switchyard
 * packages as an app installed from npm does (their dist/), so those are built first.
 */
export async function buildNextApp(): Promise<void> {
  const tsc = join(repoRoot, "node_modules/.bin/tsc");
  for (const pkg of ["core", "adapter-qstash", "adapter-inngest"]) {
    await run(tsc, ["-p", "tsconfig.build.json"], { cwd: join(repoRoot, "packages", pkg) });
  }
  try {
    await run(process.execPath, [nextBin, "build"], { cwd: appDir, env: nextEnv(), maxBuffer: 16 << 20 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`next build failed:\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`);
  }
}

/** A `next start` process; `stop()` ends it (and its children: it runs in its own process group). */
export interface NextServer {
  stop(): Promise<void>;
}

/** Starts `next start` on 127.0.0.1:`port` with `env`; resolves once it answers. */
export async function startNextServer(port: number, env: Record<string, string>): Promise<NextServer> {
  const child = spawn(process.execPath, [nextBin, "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: appDir,
    env: nextEnv(env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  // Should the test process die first, the server must not outlive it.
  const killOnExit = () => kill(child, "SIGKILL");
  process.once("exit", killOnExit);
  const server: NextServer = {
    async stop() {
      process.off("exit", killOnExit);
      await stopProcess(child);
    },
  };
  try {
    await untilAnswering(`http://127.0.0.1:${port}/`, child, () => output);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function untilAnswering(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`next start did not answer within 60 s:\n${output()}`);
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL if it is still there after 5 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  kill(child, "SIGTERM");
  const timer = setTimeout(() => kill(child, "SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
