import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources through the "@switchyard/source" export
// condition, so tests need no build step.
export default defineConfig({
  resolve: { conditions: ["@switchyard/source", "module", "node", "import", "default"] },
  ssr: { resolve: { conditions: ["@switchyard/source", "module", "node", "import", "default"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "scripts/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
