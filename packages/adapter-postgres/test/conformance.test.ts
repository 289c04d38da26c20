import { defineConformanceSuite } from "@switchyard/testkit";
import { postgresCapabilities } from "../src/index.js";
import { postgresHarness } from "./postgres-harness.js";

defineConformanceSuite({
  name: "postgres",
  capabilities: postgresCapabilities,
  createHarness: () => postgresHarness(),
  // The harness opens a second backend on a schema in use: the multi-process scenarios run.
  reconnects: true,
});
