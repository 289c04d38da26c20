// The emulator must load before @trigger.dev/sdk (the adapter imports it).
import "@switchyard/emulator-trigger";
import { defineConformanceSuite } from "@switchyard/testkit";
import { triggerCapabilities } from "../src/index.js";
import { triggerHarness } from "./trigger-harness.js";

defineConformanceSuite({
  name: "trigger",
  capabilities: triggerCapabilities,
  createHarness: () => triggerHarness(),
});
