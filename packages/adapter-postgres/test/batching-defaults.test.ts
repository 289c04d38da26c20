import { ConfigError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { localQueueSize, workerPreset } from "../src/batching-defaults.js";

describe("the worker pools' throughput settings", () => {
  it("default to a local queue of max(500, concurrency) and batched completion", () => {
    expect(workerPreset(24, undefined, { lanes: false })).toEqual({
      worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
    });
    expect(localQueueSize(workerPreset(800, undefined, { lanes: false }))).toBe(800);
  });

  it("the user's preset wins, as graphile-config resolves it (extends in order, then its own)", () => {
    const off = { worker: { localQueue: { size: -1 }, completeJobBatchDelay: -1, failJobBatchDelay: -1 } };
    expect(localQueueSize(workerPreset(24, off, { lanes: false }))).toBe(-1);
    expect(
      localQueueSize(
        workerPreset(24, { extends: [{ worker: { localQueue: { size: 50 } } }] }, { lanes: false }),
      ),
    ).toBe(50);
    expect(
      localQueueSize({
        extends: [{ worker: { localQueue: { size: 50 } } }],
        worker: { localQueue: { size: 70 } },
      }),
    ).toBe(70);
    // A preset that sets other worker options leaves the local queue as it was.
    expect(localQueueSize(workerPreset(24, { worker: { pollInterval: 500 } }, { lanes: false }))).toBe(500);
  });

  it("a worker running jobs with a concurrency limit keeps graphile-worker's defaults", () => {
    expect(workerPreset(4, undefined, { lanes: true })).toEqual({ worker: {} });
    expect(() => workerPreset(4, { worker: { localQueue: { size: 10 } } }, { lanes: true })).toThrow(
      ConfigError,
    );
  });
});
