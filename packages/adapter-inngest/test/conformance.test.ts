import { defineConformanceSuite } from "@switchyard/testkit";
import { inngestCapabilities } from "../src/index.js";
import { inngestHarness } from "./inngest-harness.js";

defineConformanceSuite({
  name: "inngest",
  capabilities: inngestCapabilities,
  createHarness: () => inngestHarness(),
});
