import { JobCancelledError } from "@switchyard/core";
import { wait } from "@trigger.dev/sdk";
import { wallClockReached } from "./wall-clock-wait.js";

/**
 * The run metadata key that holds when a job suspended by a step (a sleep, a wait for a child)
 * goes on: Trigger.dev shows a waiting run as EXECUTING (a wait of 5 s or less, which the SDK
 * keeps in the process) or WAITING (checkpointed), and says nothing of when it resumes.
 */
export const RESUME_AT_METADATA_KEY = "switchyard.resumeAt";

/**
 * `wait.until` keeps waits of 5 s or less in the process, as a timer, and warns on the console each
 * time that they count as compute (S:v3/wait.js DURATION_WAIT_CHARGE_THRESHOLD_MS): the adapter
 * waits those itself, the same way, without the warning (a parent looks at its child every 250 ms
 * at first).
 */
const IN_PROCESS_WAIT_MS = 5_000;

/** Sets one key of the run's metadata and resolves once Trigger.dev has stored it. */
export type SetRunMetadata = (key: string, value: string) => Promise<void>;

/**
 * Suspends the run until `until` within its attempt: `wait.until`, which Trigger.dev checkpoints
 * past 5 s (the run leaves its machine and its concurrency slot, and a wait is not an attempt;
 * trigger.dev/docs/wait), or a timer for 5 s or less, after recording the time for `get(id)`.
 * A cancel ends the wait at once: a timer would otherwise run the job on.
 */
export async function suspendRun(
  runId: string,
  until: Date,
  signal: AbortSignal,
  setMetadata: SetRunMetadata,
): Promise<void> {
  try {
    await setMetadata(RESUME_AT_METADATA_KEY, until.toISOString());
  } catch {
    // Only `get(id)` loses something: it shows the job active, not delayed, until it resumes.
  }
  if (!signal.aborted) {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const waitMs = until.getTime() - Date.now();
      // Either way the wall clock must have reached `until` (see wallClockReached).
      const waiting =
        waitMs > IN_PROCESS_WAIT_MS
          ? wait.until({ date: until }).then(() => wallClockReached(until.getTime()))
          : wallClockReached(until.getTime());
      await Promise.race([waiting, aborted]);
    } catch (error) {
      if (!signal.aborted) throw error; // a cancelled run's wait may end in an error: it is cancelled
    } finally {
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  }
  if (signal.aborted) throw new JobCancelledError(`run ${runId} was cancelled while suspended`);
}
