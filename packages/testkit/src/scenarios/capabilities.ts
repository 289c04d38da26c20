import { defineJob, FEATURES } from "@switchyard/core";
import { expect } from "vitest";
import { defineScenario } from "../scenario.js";
import { numberPayload } from "./fixtures.js";

export const capabilityScenarios = [
  defineScenario({
    id: "capabilities.manifest",
    title: "the capability manifest names the backend and gives every feature a known support level",
    requires: [],
    async run(t) {
      const job = defineJob({ name: t.jobName("manifest"), schema: numberPayload, handler: () => {} });
      const client = await t.client([job]);
      const { capabilities } = client;
      expect(capabilities.backend).toBe(t.harness.name);
      expect(["embedded", "worker", "http", "managed"]).toContain(capabilities.execution);
      expect(Object.keys(capabilities.features).sort()).toEqual([...FEATURES].sort());
      for (const feature of FEATURES)
        expect(["native", "emulated", "unsupported"]).toContain(capabilities.features[feature]);
      expect(["ttl", "fixed", "until-removed"]).toContain(capabilities.idempotency.window);
      if (capabilities.idempotency.window === "fixed")
        expect(capabilities.idempotency.fixedWindowMs).toBeGreaterThan(0);
      const pull = capabilities.execution === "embedded" || capabilities.execution === "worker";
      expect(typeof client.backend.work === "function").toBe(pull);
      if (capabilities.execution === "http") expect(typeof client.backend.handler).toBe("function");
    },
  }),
];
