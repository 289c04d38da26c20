import { setTimeout as sleep } from "node:timers/promises";

/** The parts of `batch.retrieve`'s answer this needs (C:schemas/api.js RetrieveBatchV2Response). */
interface BatchView {
  runs: string[];
  processing: { errors: Array<{ index: number; error: string }> };
}

/**
 * The run ids of a batch, in item order. `batchTrigger` answers with the batch id only, and the
 * runs are created as Trigger.dev processes the items, so this polls `batch.retrieve` until every
 * item has its run, or fails naming the items Trigger.dev refused.
 */
export async function waitForBatchRuns(
  retrieve: (batchId: string) => Promise<BatchView>,
  batchId: string,
  runCount: number,
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 25; ; pause = Math.min(pause * 2, 1_000)) {
    const batch = await retrieve(batchId);
    const { errors } = batch.processing;
    if (errors.length > 0) {
      const listed = errors.map((error) => `item ${error.index}: ${error.error}`).join("; ");
      throw new Error(`Trigger.dev batch ${batchId} could not trigger every run (${listed})`);
    }
    if (batch.runs.length >= runCount) return batch.runs.slice(0, runCount);
    if (Date.now() + pause > deadline) {
      throw new Error(
        `Trigger.dev batch ${batchId} has ${batch.runs.length} of ${runCount} runs after ${timeoutMs} ms (batchTimeout)`,
      );
    }
    await sleep(pause);
  }
}
