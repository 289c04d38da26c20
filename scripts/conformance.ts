// `pnpm conformance [backend ...]`: runs the conformance kit for each named backend (default: every one
// with a harness), which writes reports/conformance/<backend>.json, then regenerates docs/compatibility.md.
// With --check (the test command) the doc is left alone: a test then compares it with the fresh reports.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeCompatibilityDoc } from "./compatibility-doc.js";
import { CONFORMANCE_SUITES } from "./conformance-suites.js";

const root = join(import.meta.dirname, "..");
const args = process.argv.slice(2);
const requested = args.filter((arg) => !arg.startsWith("-"));
// Flags other than --check go to vitest (the test command passes its reporters this way).
const vitestFlags = args.filter((arg) => arg.startsWith("-") && arg !== "--check");
const unknown = requested.filter((name) => !(name in CONFORMANCE_SUITES));
if (unknown.length > 0) {
  console.error(
    `unknown backend ${unknown.join(", ")}; known: ${Object.keys(CONFORMANCE_SUITES).join(", ")}`,
  );
  process.exit(2);
}
const names = requested.length > 0 ? requested : Object.keys(CONFORMANCE_SUITES);
const files = names.map((name) => CONFORMANCE_SUITES[name]!).filter((file) => existsSync(join(root, file)));
if (files.length === 0) {
  console.error(`no conformance suite found for ${names.join(", ")}`);
  process.exit(2);
}
const vitest = spawnSync(
  join(root, "node_modules", ".bin", "vitest"),
  ["run", "--project", "conformance", ...vitestFlags, ...files],
  {
    cwd: root,
    stdio: "inherit",
  },
);
if (!process.argv.includes("--check")) console.log(`wrote ${writeCompatibilityDoc(root)}`);
process.exit(vitest.status ?? 1);
