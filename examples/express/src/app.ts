import { toNodeHandler } from "@switchyard/core";
import type { ExampleJobs } from "@switchyard/example-framework-kit/jobs";
import express, { type Express } from "express";

/** The app: each backend's `jobs.handler()` on its own route, next to the app's own JSON API. */
export function createApp(jobs: ExampleJobs): Express {
  const app = express();
  // One line per route, before express.json(): the signature covers the exact bytes of the body.
  app.post("/api/qstash", toNodeHandler(jobs.qstash.handler()));
  app.all("/api/inngest", toNodeHandler(jobs.inngest.handler()));
  // The rest of the app parses JSON as usual.
  app.use(express.json());
  app.post("/api/signup", async (req, res) => {
    const { email } = req.body as { email: string };
    res.json(await jobs.qstash.enqueue(jobs.sendWelcome, { email }));
  });
  return app;
}
