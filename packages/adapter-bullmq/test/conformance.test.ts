import { defineConformanceSuite } from "@switchyard/testkit";
import { bullmqCapabilities } from "../src/index.js";
import { bullmqHarness } from "./bullmq-harness.js";

defineConformanceSuite({
  name: "bullmq",
  capabilities: bullmqCapabilities,
  createHarness: bullmqHarness,
  reconnects: true,
});
