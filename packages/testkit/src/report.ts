import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Capabilities } from "@switchyard/core";

export type ScenarioStatus = "passed" | "failed" | "skipped";

export interface ScenarioReport {
  id: string;
  title: string;
  status: ScenarioStatus;
  /** Why it was skipped: the missing features. */
  reason?: string;
  /** For a skipped scenario: whether the check of what the backend does instead passed. */
  negativeCheck?: "passed" | "failed";
  /** For a skipped scenario: what was checked instead. */
  instead?: string;
  error?: string;
  durationMs?: number;
  /** For a passed scenario that relies on the harness (ConformanceHarness.providedByHarness): who provides it. */
  providedByHarness?: string;
}

/** What one conformance run writes to `reports/conformance/<backend>.json`. */
export interface ConformanceReport {
  backend: string;
  passed: number;
  failed: number;
  skipped: number;
  generatedAt: string;
  /** The backend's manifest at the time of the run. */
  capabilities: Capabilities;
  scenarios: ScenarioReport[];
}

/** The repository root (the folder with pnpm-workspace.yaml), searched upward from the working directory. */
export function repositoryRoot(from: string = process.cwd()): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    if (dirname(dir) === dir) return resolve(from);
  }
}

/** `SWITCHYARD_REPORT_DIR`, or `<repo>/reports/conformance`. */
export function reportDirectory(): string {
  return process.env.SWITCHYARD_REPORT_DIR ?? join(repositoryRoot(), "reports", "conformance");
}

export function writeReport(report: ConformanceReport, directory: string = reportDirectory()): string {
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${report.backend}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

export function readReports(directory: string = reportDirectory()): ConformanceReport[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(directory, file), "utf8")) as ConformanceReport);
}
