// Prints one closing line, `Tests: N passed, N failed, N skipped`, summed over the vitest JSON reports
// that the test command wrote to reports/vitest/.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const directory = join(import.meta.dirname, "..", "reports", "vitest");
const reports = existsSync(directory)
  ? readdirSync(directory)
      .filter((file) => file.endsWith(".json"))
      .map((file) => JSON.parse(readFileSync(join(directory, file), "utf8")) as VitestJsonReport)
  : [];
const sum = (pick: (report: VitestJsonReport) => number) =>
  reports.reduce((total, report) => total + pick(report), 0);
console.log(
  `Tests: ${sum((r) => r.numPassedTests)} passed, ${sum((r) => r.numFailedTests)} failed, ${sum((r) => r.numPendingTests + r.numTodoTests)} skipped`,
);
