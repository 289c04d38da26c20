import { memoryCapabilities } from "@switchyard/core/adapter";
import { defineConformanceSuite, memoryHarness } from "../src/index.js";

defineConformanceSuite({ name: "memory", capabilities: memoryCapabilities, createHarness: memoryHarness });
