import type { ExampleJobs } from "@switchyard/example-framework-kit/jobs";
import { Hono } from "hono";

/** The app: each backend's `jobs.handler()` on its own route, next to the app's own JSON API. */
export function createApp(jobs: ExampleJobs): Hono {
  const qstash = jobs.qstash.handler();
  const inngest = jobs.inngest.handler();
  const app = new Hono();
  // One line per route: Hono hands over the Web Request, its body untouched.
  app.post("/api/qstash", (c) => qstash(c.req.raw));
  app.on(["GET", "POST", "PUT"], "/api/inngest", (c) => inngest(c.req.raw));
  app.post("/api/signup", async (c) => {
    const { email } = await c.req.json<{ email: string }>();
    return c.json(await jobs.qstash.enqueue(jobs.sendWelcome, { email }));
  });
  return app;
}
