/** The conformance suite of each backend, relative to the repository root. */
export const CONFORMANCE_SUITES: Record<string, string> = {
  memory: "packages/testkit/test/memory.conformance.test.ts",
  bullmq: "packages/adapter-bullmq/test/conformance.test.ts",
  "bullmq-postgres": "packages/adapter-bullmq/test/postgres.conformance.test.ts",
  postgres: "packages/adapter-postgres/test/conformance.test.ts",
  qstash: "packages/adapter-qstash/test/conformance.test.ts",
  inngest: "packages/adapter-inngest/test/conformance.test.ts",
  trigger: "packages/adapter-trigger/test/conformance.test.ts",
};
