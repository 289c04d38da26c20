import { memoryCapabilities } from "@switchyard/core";
import { defineConformanceSuite, memoryHarness } from "../src/index.js";

defineConformanceSuite({ name: "memory", capabilities: memoryCapabilities, createHarness: memoryHarness });
