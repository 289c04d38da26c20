// What the depth and listing scenarios share. Hosted platforms answer counts and lists from
// eventually consistent views, so every expectation about them is polled, never assumed at once.
import { isDeepStrictEqual } from "node:util";
import type { JobCounts, JobState, Switchyard } from "@switchyard/core";
import { expect } from "vitest";
import { sleep, waitFor } from "../wait-for.js";

export const ALL_STATES: ReadonlyArray<JobState> = [
  "waiting",
  "delayed",
  "active",
  "completed",
  "failed",
  "cancelled",
];

/** How long a count or a list may take to show a change (hosted views lag; the machine is loaded). */
const SETTLE_MS = 20_000;
/**
 * Between two enqueues whose order a list must show: creation times on some platforms have
 * millisecond resolution, and two enqueues in the same millisecond have no order to show.
 */
const ENQUEUE_GAP_MS = 15;

export function countedStates(client: Switchyard): ReadonlyArray<JobState> {
  return client.capabilities.jobStates?.counted ?? [];
}

export function listedStates(client: Switchyard): ReadonlyArray<JobState> {
  return client.capabilities.jobStates?.listed ?? [];
}

/**
 * Polls `counts({ job })` until it equals `expected` on every state the backend counts (a state absent
 * from `expected` must count 0), then fails with the last answer if it never does.
 */
export async function expectCounts(
  client: Switchyard,
  job: string | undefined,
  expected: JobCounts,
  what: string,
): Promise<void> {
  const want: JobCounts = {};
  for (const state of countedStates(client)) want[state] = expected[state] ?? 0;
  let last: JobCounts = {};
  const matches = await waitFor(
    async () => {
      last = await client.counts(job === undefined ? undefined : { job });
      return isDeepStrictEqual(last, want);
    },
    { timeoutMs: SETTLE_MS, intervalMs: 100 },
  ).catch(() => false);
  if (!matches) expect(last, `counts of ${what}`).toEqual(want);
}

/** Every job of `state` (for `job`), all pages followed, as ids in the order listed. */
export async function listAll(client: Switchyard, state: JobState, job?: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.list({ state, job, limit: 1000, cursor });
    ids.push(...page.jobs.map((snapshot) => snapshot.id));
    cursor = page.cursor;
  } while (cursor);
  return ids;
}

/**
 * Polls `list({ state, job })` until it holds exactly `expected` (in that order when `ordered`), then
 * fails with the last answer if it never does.
 */
export async function expectListed(
  client: Switchyard,
  state: JobState,
  job: string | undefined,
  expected: ReadonlyArray<string>,
  options: { ordered: boolean },
): Promise<void> {
  const normalise = (ids: ReadonlyArray<string>) => (options.ordered ? [...ids] : [...ids].sort());
  let last: string[] = [];
  const matches = await waitFor(
    async () => {
      last = await listAll(client, state, job);
      return isDeepStrictEqual(normalise(last), normalise(expected));
    },
    { timeoutMs: SETTLE_MS, intervalMs: 100 },
  ).catch(() => false);
  if (!matches) {
    expect(normalise(last), `the ${state} jobs${job ? ` of ${job}` : ""}`).toEqual(normalise(expected));
  }
}

/** Runs `enqueue` `count` times, a little apart so that their creation order is visible; returns the ids. */
export async function enqueueApart(
  count: number,
  enqueue: (n: number) => Promise<{ id: string }>,
): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    if (n > 0) await sleep(ENQUEUE_GAP_MS);
    ids.push((await enqueue(n)).id);
  }
  return ids;
}
