/** One measured quantity, raw library vs adapter, medians over interleaved rounds. */
export interface BenchMeasurement {
  name: string;
  /** `jobs/s` (higher is better) or `ms` (lower is better). */
  unit: "jobs/s" | "ms";
  /** The raw library's median; absent where there is no raw counterpart (the memory backend). */
  raw?: number;
  adapter: number;
  /** adapter / raw for throughputs; for latencies, adapter - raw in ms is given as `overheadMs`. */
  ratio?: number;
  overheadMs?: number;
  rounds: number;
}

/** What `pnpm bench <backend>` writes to `bench/results/<backend>.json`. */
export interface BenchResult {
  backend: string;
  generatedAt: string;
  machine: { cpus: number; node: string };
  results: BenchMeasurement[];
}

/** A backend's benchmark: `bench/<backend>/index.ts` default-exports one. */
export type BenchSuite = (options: { rounds: number }) => Promise<BenchMeasurement[]>;

export function median(values: ReadonlyArray<number>): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The value below which `p` percent of `values` fall (nearest rank). */
export function percentile(values: ReadonlyArray<number>, p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Builds a throughput measurement from per-round raw and adapter figures. */
export function throughput(name: string, raw: number[], adapter: number[]): BenchMeasurement {
  const rawMedian = median(raw);
  const adapterMedian = median(adapter);
  return {
    name,
    unit: "jobs/s",
    raw: round(rawMedian),
    adapter: round(adapterMedian),
    ratio: round(adapterMedian / rawMedian, 3),
    rounds: adapter.length,
  };
}

/** Builds a latency measurement (ms) from per-round raw and adapter figures. */
export function latency(name: string, raw: number[], adapter: number[]): BenchMeasurement {
  const rawMedian = median(raw);
  const adapterMedian = median(adapter);
  return {
    name,
    unit: "ms",
    raw: round(rawMedian, 3),
    adapter: round(adapterMedian, 3),
    overheadMs: round(adapterMedian - rawMedian, 3),
    rounds: adapter.length,
  };
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
