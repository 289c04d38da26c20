import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { WriteCoalescer } from "../src/write-coalescer.js";

/** A write that records its batches and answers when `release()` is called (all at once by default). */
function recordingWrite(fail: (items: number[]) => boolean = () => false) {
  const batches: number[][] = [];
  const waiting: Array<() => void> = [];
  const write = (items: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      batches.push(items);
      waiting.push(() =>
        fail(items)
          ? reject(new Error(`batch ${items.join(",")} failed`))
          : resolve(items.map((n) => n * 10)),
      );
    });
  const release = () => {
    for (const answer of waiting.splice(0)) answer();
  };
  return { batches, write, release };
}

describe("WriteCoalescer", () => {
  it("writes in the context it was made in, not in that of the caller who scheduled the flush", async () => {
    const request = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const coalescer = new WriteCoalescer(async (items: number[]) => {
      seen.push(request.getStore());
      return items;
    });
    await Promise.all([request.run("A", () => coalescer.add(1)), request.run("B", () => coalescer.add(2))]);
    expect(seen).toEqual([undefined]);
  });

  it("refuses a batch size or an in-flight count that is not a positive integer", () => {
    expect(() => new WriteCoalescer(async () => [], { maxBatch: 0 })).toThrow(
      /maxBatch must be a positive integer/,
    );
    expect(() => new WriteCoalescer(async () => [], { maxInFlight: 0 })).toThrow(/maxInFlight/);
  });

  it("sends a lone item on the next tick, alone", async () => {
    const { batches, write, release } = recordingWrite();
    const coalescer = new WriteCoalescer(write);
    const result = coalescer.add(7);
    expect(batches).toEqual([]);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(batches).toEqual([[7]]);
    release();
    expect(await result).toBe(70);
  });

  it("merges the items added in one turn, and those added while writes are in flight", async () => {
    const { batches, write, release } = recordingWrite();
    const coalescer = new WriteCoalescer(write, { maxInFlight: 1, maxBatch: 3 });
    const first = [1, 2, 3, 4].map((n) => coalescer.add(n));
    await new Promise((resolve) => setImmediate(resolve));
    // One write in flight at most: [1,2,3] went, 4 waits; 5 and 6 join it.
    const later = [5, 6].map((n) => coalescer.add(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2, 3]]);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    release();
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it("a failed write rejects exactly the items it held", async () => {
    const { batches, write, release } = recordingWrite((items) => items.includes(2));
    const coalescer = new WriteCoalescer(write, { maxInFlight: 2, maxBatch: 2 });
    const results = [1, 2, 3, 4, 5].map((n) =>
      coalescer.add(n).then(
        (value) => ({ ok: value }),
        (error: Error) => ({ failed: error.message }),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(await Promise.all(results)).toEqual([
      { failed: "batch 1,2 failed" },
      { failed: "batch 1,2 failed" },
      { ok: 30 },
      { ok: 40 },
      { ok: 50 },
    ]);
  });

  it("a write that throws at once, or answers the wrong count, rejects its items", async () => {
    const throwing = new WriteCoalescer<number, number>(() => {
      throw new Error("refused");
    });
    await expect(throwing.add(1)).rejects.toThrow("refused");
    const short = new WriteCoalescer<number, number>(async () => [1]);
    await expect(Promise.all([short.add(1), short.add(2)])).rejects.toThrow(/2 items returned 1 results/);
  });
});
