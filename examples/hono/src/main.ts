import { serve } from "@hono/node-server";
import { createExampleJobs } from "@switchyard/example-framework-kit/jobs";
import { createApp } from "./app.js";

const jobs = createExampleJobs();
const server = serve({ fetch: createApp(jobs).fetch, port: Number(process.env.PORT ?? 3000) });

process.once("SIGTERM", () => {
  server.close(() => void jobs.close());
});
