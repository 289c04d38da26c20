import { toFastifyPlugin } from "@switchyard/core";
import type { ExampleJobs } from "@switchyard/example-framework-kit/jobs";
import Fastify, { type FastifyInstance } from "fastify";

/** The app: each backend's `jobs.handler()` on its own route, next to the app's own JSON API. */
export function createApp(jobs: ExampleJobs): FastifyInstance {
  const app = Fastify();
  // One line per route. The plugin keeps the raw body (in its own scope) for the signature check.
  app.register(toFastifyPlugin(jobs.qstash.handler()), { prefix: "/api/qstash" });
  app.register(toFastifyPlugin(jobs.inngest.handler()), { prefix: "/api/inngest" });
  // The rest of the app still gets Fastify's JSON parsing.
  app.post("/api/signup", async (request) => {
    const { email } = request.body as { email: string };
    return jobs.qstash.enqueue(jobs.sendWelcome, { email });
  });
  return app;
}
