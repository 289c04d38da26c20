import { silentLogger } from "@switchyard/core";
import { describeMountedRoutes } from "@switchyard/example-framework-kit/checks";
import { createExampleJobs } from "@switchyard/example-framework-kit/jobs";
import { createApp } from "../src/app.js";

describeMountedRoutes({
  name: "Fastify",
  async start(env, port) {
    const jobs = createExampleJobs(env, silentLogger);
    const app = createApp(jobs);
    await app.listen({ port, host: "127.0.0.1" });
    return {
      async close() {
        await app.close();
        await jobs.close();
      },
    };
  },
});
