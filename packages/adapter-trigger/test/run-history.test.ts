import type { AnyRetrieveRunResult } from "@trigger.dev/sdk";
import { describe, expect, it } from "vitest";
import { RunHistory, type RunHistoryApi } from "../src/run-history.js";

// The chain of runs behind one job id, on an in-memory stand-in of the four Trigger.dev calls it
// makes: what it writes, and what it reads back when a link is missing.

type FakeRun = { id: string; status: string; tags: string[]; createdAt: Date; taskIdentifier: string };

function fakeApi(runs: FakeRun[]) {
  const calls: string[] = [];
  let next = runs.length;
  const api: RunHistoryApi = {
    async retrieve(runId) {
      calls.push(`retrieve ${runId}`);
      const run = runs.find((candidate) => candidate.id === runId);
      return run && ({ ...run, tags: [...run.tags] } as unknown as AnyRetrieveRunResult);
    },
    async newestTagged(tag, taskIdentifier) {
      calls.push(`list ${tag}`);
      const tagged = runs.filter((run) => run.taskIdentifier === taskIdentifier && run.tags.includes(tag));
      return tagged.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]?.id;
    },
    async addTags(runId, tags) {
      calls.push(`tag ${runId} ${tags.join(",")}`);
      const run = runs.find((candidate) => candidate.id === runId)!;
      for (const tag of tags) if (!run.tags.includes(tag)) run.tags.push(tag);
    },
    async replay(runId) {
      calls.push(`replay ${runId}`);
      const original = runs.find((candidate) => candidate.id === runId)!;
      const id = `run_${++next}`;
      runs.push({
        ...original,
        id,
        status: "QUEUED",
        tags: [...original.tags],
        createdAt: new Date(Date.now() + next),
      });
      return id;
    },
  };
  return { api, calls };
}

const run = (id: string, status: string, tags: string[] = [], at = 0): FakeRun => ({
  id,
  status,
  tags,
  createdAt: new Date(1_700_000_000_000 + at),
  taskIdentifier: "job",
});

describe("RunHistory", () => {
  it("tags a run with the job's id before replaying it, and with the replay's id after", async () => {
    const runs = [run("run_1", "FAILED")];
    const { api, calls } = fakeApi(runs);
    const history = new RunHistory(api);
    const replayId = await history.replay("run_1", (await api.retrieve("run_1"))!);
    expect(calls).toEqual([
      "retrieve run_1",
      "tag run_1 switchyard_job:run_1",
      "replay run_1",
      `tag run_1 switchyard_replayed_as:${replayId}`,
    ]);
    expect(runs[1]!.tags).toEqual(["switchyard_job:run_1"]);
  });

  it("follows the links from the first run to the newest, with no list", async () => {
    const { api, calls } = fakeApi([
      run("run_1", "FAILED", ["switchyard_job:run_1", "switchyard_replayed_as:run_2"]),
      run("run_2", "FAILED", ["switchyard_job:run_1", "switchyard_replayed_as:run_3"], 10),
      run("run_3", "COMPLETED", ["switchyard_job:run_1"], 20),
    ]);
    expect((await new RunHistory(api).newest("run_1"))?.id).toBe("run_3");
    expect(calls).toEqual(["retrieve run_1", "retrieve run_2", "retrieve run_3"]);
  });

  it("finds a replay whose link was never written by the job's tag", async () => {
    const { api } = fakeApi([
      run("run_1", "FAILED", ["switchyard_job:run_1"]),
      run("run_2", "EXECUTING", ["switchyard_job:run_1"], 10),
    ]);
    expect((await new RunHistory(api).newest("run_1"))?.id).toBe("run_2");
  });

  it("reads a failed job never retried with one call, and an unknown id as undefined", async () => {
    const { api, calls } = fakeApi([run("run_1", "FAILED")]);
    expect((await new RunHistory(api).newest("run_1"))?.id).toBe("run_1");
    expect(calls).toEqual(["retrieve run_1"]);
    expect(await new RunHistory(api).newest("run_9")).toBeUndefined();
  });
});
