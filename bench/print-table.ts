import type { BenchMeasurement } from "./bench-result.js";

/** A short table of a backend's rows: one line each, the figure that matters (ratio, or overhead in ms) last. */
export function formatTable(backend: string, rows: ReadonlyArray<BenchMeasurement>): string {
  const cells = rows.map((row) => [
    row.name,
    row.raw === undefined ? "" : `${row.raw} ${row.unit}`,
    `${row.adapter} ${row.unit}`,
    row.ratio !== undefined
      ? `x${row.ratio}`
      : row.overheadMs !== undefined
        ? `${sign(row.overheadMs)} ms`
        : "",
  ]);
  const header = ["row", "raw", "adapter", "adapter/raw"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => line[column]!.length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, column) => (column === 0 ? value.padEnd(widths[0]!) : value.padStart(widths[column]!)))
      .join("  ");
  return [`${backend}`, line(header), ...cells.map(line)].join("\n");
}

function sign(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}
