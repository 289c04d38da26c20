import { setTimeout as sleep } from "node:timers/promises";
import { BackendUnavailableError } from "@switchyard/core";
import { TriggerApiError } from "./trigger-api-error.js";

/** The parts of `batch.retrieve`'s answer this needs (C:schemas/api.js RetrieveBatchV2Response). */
interface BatchView {
  runs: string[];
  processing: { errors: Array<{ index: number; error: string }> };
}

/** What `runs.list({ batch })` yields per run (the fields used here). */
interface ListedRun {
  id: string;
  tags: string[];
}

const ITEM_TAG_PREFIX = "switchyard_item:";

/**
 * The tag that marks a batch item's run with its index: Trigger.dev creates a batch's runs as it
 * processes the items and lists them in that order (`BatchTaskRun.runIds` grows with each run it
 * creates), which need not be the items' order.
 */
export function batchItemTag(index: number): string {
  return `${ITEM_TAG_PREFIX}${index}`;
}

export interface BatchRunsApi {
  retrieve(batchId: string): Promise<BatchView>;
  list(batchId: string): AsyncIterable<ListedRun>;
}

/**
 * The run ids of a batch, in item order. `batchTrigger` answers with the batch id only, so this
 * polls `batch.retrieve` until every item has its run (or fails naming the items Trigger.dev
 * refused: TriggerApiError), then reads the item tags of the batch's runs. Runs that do not appear
 * within `timeoutMs` are a BackendUnavailableError (`stored: "unknown"`: they may still come).
 * Pauses are at most 1 s; `signal` ends the wait at once (an AbortError).
 */
export async function waitForBatchRuns(
  api: BatchRunsApi,
  batchId: string,
  runCount: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const giveUp = (found: number) =>
    new BackendUnavailableError(
      "trigger",
      `Trigger.dev batch ${batchId} has ${found} of ${runCount} runs after ${timeoutMs} ms (batchTimeout)`,
      { stored: "unknown" },
    );
  for (let pause = 25; ; pause = Math.min(pause * 2, 1_000)) {
    const batch = await api.retrieve(batchId);
    const { errors } = batch.processing;
    if (errors.length > 0) {
      const listed = errors.map((error) => `item ${error.index}: ${error.error}`).join("; ");
      throw new TriggerApiError(
        `Trigger.dev batch ${batchId} could not trigger every run (${listed})`,
        undefined,
      );
    }
    if (batch.runs.length >= runCount) break;
    if (Date.now() + pause > deadline) throw giveUp(batch.runs.length);
    await sleep(pause, undefined, { signal });
  }
  for (let pause = 25; ; pause = Math.min(pause * 2, 1_000)) {
    const ids: Array<string | undefined> = new Array(runCount);
    for await (const run of api.list(batchId)) {
      const tag = run.tags.find((candidate) => candidate.startsWith(ITEM_TAG_PREFIX));
      const index = tag === undefined ? Number.NaN : Number(tag.slice(ITEM_TAG_PREFIX.length));
      if (Number.isInteger(index) && index >= 0 && index < runCount) ids[index] = run.id;
    }
    const found = ids.filter((id) => id !== undefined).length;
    if (found === runCount) return ids as string[];
    if (Date.now() + pause > deadline) throw giveUp(found);
    await sleep(pause, undefined, { signal });
  }
}
