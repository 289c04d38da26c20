import { defineConformanceSuite } from "@switchyard/testkit";
import { qstashCapabilities } from "../src/index.js";
import { qstashHarness } from "./qstash-harness.js";

// Runs against the testkit's QStash emulator, or the real QStash when the variables in
// qstash-harness.ts (realQStashTarget) are set.
defineConformanceSuite({ name: "qstash", capabilities: qstashCapabilities, createHarness: qstashHarness });
