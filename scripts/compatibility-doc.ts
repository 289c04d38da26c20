import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ConformanceReport, readReports, renderCompatibilityDoc } from "@switchyard/testkit";
import { CONFORMANCE_SUITES } from "./conformance-suites.js";

export const COMPATIBILITY_DOC = "docs/compatibility.md";

/** The reports of known backends, in the order of CONFORMANCE_SUITES. */
export function knownReports(root: string): ConformanceReport[] {
  const order = Object.keys(CONFORMANCE_SUITES);
  return readReports(join(root, "reports", "conformance"))
    .filter((report) => order.includes(report.backend))
    .sort((a, b) => order.indexOf(a.backend) - order.indexOf(b.backend));
}

/** Rewrites docs/compatibility.md from the reports; returns its path. */
export function writeCompatibilityDoc(root: string): string {
  const file = join(root, COMPATIBILITY_DOC);
  writeFileSync(file, renderCompatibilityDoc(knownReports(root)));
  return file;
}
