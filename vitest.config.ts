import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources through the "@switchyard/source" export
// condition, so tests need no build step. Vitest hands these conditions to Node for external packages
// too, so only add ones that are safe for every require and import: with "module", @opentelemetry/api
// (used by @trigger.dev/sdk) resolves to a build Node cannot load; with "import", pg's own
// require("pg-pool") gets the ES module. Vite adds import/require/default by context itself.
const conditions = ["@switchyard/source", "node"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    // No retries: a flaky test is a bug to fix. Timing scenarios assert "never early" strictly and
    // allow LATE_SLACK_MS of lateness (testkit scenarios/fixtures.ts) for a loaded 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/*conformance*.test.ts"],
        },
      },
      // One suite per backend; `pnpm conformance` runs them and writes reports/conformance/*.json.
      { extends: true, test: { name: "conformance", include: ["packages/*/test/**/*conformance*.test.ts"] } },
      // Checks generated docs against the reports; runs after the conformance suites.
      { extends: true, test: { name: "docs", include: ["scripts/**/*.test.ts"] } },
    ],
  },
});
