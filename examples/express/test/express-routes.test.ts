import type { Server } from "node:http";
import { silentLogger } from "@switchyard/core";
import { describeMountedRoutes } from "@switchyard/example-framework-kit/checks";
import { createExampleJobs } from "@switchyard/example-framework-kit/jobs";
import { createApp } from "../src/app.js";

describeMountedRoutes({
  name: "Express",
  async start(env, port) {
    const jobs = createExampleJobs(env, silentLogger);
    const server = await new Promise<Server>((resolve, reject) => {
      const listening = createApp(jobs).listen(port, "127.0.0.1", (error) =>
        error ? reject(error) : resolve(listening),
      );
    });
    return {
      async close() {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await jobs.close();
      },
    };
  },
});
