// `npx trigger.dev@4.8.3 dev` in this folder runs the jobs of src/jobs.ts on Trigger.dev's dev
// environment; see the adapter README ("Running against a real project").
import { defineConfig } from "@trigger.dev/sdk";

export default defineConfig({
  project: process.env.TRIGGER_PROJECT_REF ?? "proj_set_TRIGGER_PROJECT_REF",
  dirs: ["./trigger"],
  // Switchyard jobs bound their attempts with `timeout`; this is only Trigger.dev's backstop.
  maxDuration: 3600,
});
