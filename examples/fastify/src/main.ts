import { createExampleJobs } from "@switchyard/example-framework-kit/jobs";
import { createApp } from "./app.js";

const jobs = createExampleJobs();
const app = createApp(jobs);
await app.listen({ port: Number(process.env.PORT ?? 3000), host: "0.0.0.0" });

process.once("SIGTERM", async () => {
  await app.close();
  await jobs.close();
});
