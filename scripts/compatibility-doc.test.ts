import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { renderCompatibilityDoc } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { COMPATIBILITY_DOC, knownReports } from "./compatibility-doc.js";
import { CONFORMANCE_SUITES } from "./conformance-suites.js";

const root = join(import.meta.dirname, "..");

describe("docs/compatibility.md", () => {
  it("matches the latest conformance reports (run `pnpm conformance` to regenerate it)", () => {
    const reports = knownReports(root);
    const withSuite = Object.entries(CONFORMANCE_SUITES).filter(([, file]) => existsSync(join(root, file)));
    expect(
      reports.map((r) => r.backend),
      "a report for every backend with a suite",
    ).toEqual(withSuite.map(([name]) => name));
    const committed = readFileSync(join(root, COMPATIBILITY_DOC), "utf8");
    expect(committed).toBe(renderCompatibilityDoc(reports));
  });
});
