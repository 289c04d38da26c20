import { defineConformanceSuite } from "@switchyard/testkit";
import { bullmqPostgresCapabilities } from "../src/index.js";
import { bullmqPostgresHarness } from "./postgres-harness.js";

defineConformanceSuite({
  name: "bullmq-postgres",
  capabilities: bullmqPostgresCapabilities,
  createHarness: bullmqPostgresHarness,
  reconnects: true,
});
