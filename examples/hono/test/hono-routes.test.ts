import { serve } from "@hono/node-server";
import { silentLogger } from "@switchyard/core";
import { describeMountedRoutes } from "@switchyard/example-framework-kit/checks";
import { createExampleJobs } from "@switchyard/example-framework-kit/jobs";
import { createApp } from "../src/app.js";

describeMountedRoutes({
  name: "Hono",
  async start(env, port) {
    const jobs = createExampleJobs(env, silentLogger);
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const listening = serve({ fetch: createApp(jobs).fetch, port, hostname: "127.0.0.1" }, () =>
        resolve(listening),
      );
    });
    return {
      async close() {
        await new Promise((resolve) => server.close(resolve));
        await jobs.close();
      },
    };
  },
});
