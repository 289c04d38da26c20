// The dashboard mounts in Fastify with the same one-line plugin as the job routes: its page, assets
// and API all live under the prefix.
import { createSwitchyard, memory, silentLogger, toFastifyPlugin } from "@switchyard/core";
import { dashboard } from "@switchyard/dashboard";
import Fastify from "fastify";
import { afterEach, expect, it } from "vitest";

const apps: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

it("serves the dashboard's page and API under the plugin's prefix, behind authorize", async () => {
  const jobs = createSwitchyard({ backend: memory(), jobs: [], logger: silentLogger });
  const app = Fastify();
  apps.push(app, jobs);
  const handler = dashboard(jobs, {
    basePath: "/admin/jobs",
    authorize: (request) => request.headers.get("authorization") === "Bearer admin",
  });
  app.register(toFastifyPlugin(handler), { prefix: "/admin/jobs" });
  const origin = await app.listen({ port: 0, host: "127.0.0.1" });
  const headers = { authorization: "Bearer admin" };

  const page = await fetch(`${origin}/admin/jobs/`, { headers });
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toMatch(/^text\/html/);
  const overview = await fetch(`${origin}/admin/jobs/api/overview`, { headers });
  expect(overview.status).toBe(200);
  expect(await overview.json()).toHaveProperty("counts");
  expect((await fetch(`${origin}/admin/jobs/api/overview`)).status).toBe(401);
});
