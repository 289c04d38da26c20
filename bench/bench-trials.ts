import { type BenchMeasurement, latency, throughput } from "./bench-result.js";

export type Side = "raw" | "adapter";

/** `count` raw/adapter pairs in ABBA order (raw first, then adapter first, ...), so drift hits both sides alike. */
export function abba(count: number): Side[][] {
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? ["raw", "adapter"] : ["adapter", "raw"]));
}

/** Runs `count` raw/adapter pairs in ABBA order, calling `afterEach` after every trial. */
export async function trials<T>(
  count: number,
  raw: () => Promise<T>,
  adapter: () => Promise<T>,
  afterEach: () => Promise<void> = async () => {},
): Promise<[T[], T[]]> {
  const results: [T[], T[]] = [[], []];
  for (const order of abba(count)) {
    for (const side of order) {
      if (side === "raw") results[0].push(await raw());
      else results[1].push(await adapter());
      await afterEach();
    }
  }
  return results;
}

/** Collects per-trial raw and adapter figures by measurement name, across rounds. */
export class BenchSeries {
  readonly #series = new Map<string, { raw: number[]; adapter: number[] }>();

  record(name: string, [raw, adapter]: [number[], number[]]): void {
    const entry = this.#series.get(name) ?? { raw: [], adapter: [] };
    entry.raw.push(...raw);
    entry.adapter.push(...adapter);
    this.#series.set(name, entry);
  }

  /** Medians: a difference in ms for names `inMilliseconds` picks, a ratio (throughput) for the rest. */
  measurements(inMilliseconds: (name: string) => boolean): BenchMeasurement[] {
    return [...this.#series].map(([name, { raw, adapter }]) =>
      inMilliseconds(name) ? latency(name, raw, adapter) : throughput(name, raw, adapter),
    );
  }
}
