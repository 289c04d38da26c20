import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "@switchyard/testkit";

/** A line a child printed, and when the test saw it. */
export interface ChildLine {
  text: string;
  at: number;
}

/** A fixture of test/fixtures run as its own Node process, with its stdout read line by line. */
export interface ChildWorker {
  readonly process: ChildProcess;
  readonly lines: ReadonlyArray<ChildLine>;
  /** The first line matching `pattern` (waits for it). */
  line(pattern: RegExp, timeoutMs?: number): Promise<ChildLine>;
  /** Resolves when the process has exited, with its code and when. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** SIGKILLs it if it still runs. */
  kill(): void;
}

export function startChild(fixture: string, env: Record<string, string>): ChildWorker {
  const child = spawn(
    process.execPath,
    [
      "--conditions=@switchyard/source",
      "--import",
      "tsx",
      fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url)),
    ],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines: ChildLine[] = [];
  let partial = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const at = Date.now();
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop()!;
    for (const text of parts) lines.push({ text, at });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    process: child,
    lines,
    exited,
    // A child's first line waits for Node and tsx to start it: seconds on a loaded machine, not what
    // these tests measure (they time stop and exit from the moment the child is up).
    async line(pattern, timeoutMs = 45_000) {
      try {
        return await waitFor(() => lines.find((line) => pattern.test(line.text)), {
          message: `the child to print ${pattern}`,
          timeoutMs,
          intervalMs: 10,
        });
      } catch (error) {
        const printed = JSON.stringify(lines.map((line) => line.text));
        throw new Error(`${(error as Error).message}; it printed ${printed}`);
      }
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
