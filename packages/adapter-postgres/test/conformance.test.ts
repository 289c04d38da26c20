import { defineConformanceSuite } from "@switchyard/testkit";
import { postgresCapabilities } from "../src/index.js";
import { postgresHarness } from "./postgres-harness.js";

defineConformanceSuite({
  name: "postgres",
  capabilities: postgresCapabilities,
  createHarness: () => postgresHarness(),
});
