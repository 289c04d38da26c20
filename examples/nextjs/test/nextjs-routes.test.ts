import { describeMountedRoutes } from "@switchyard/example-framework-kit/checks";
import { buildNextApp, startNextServer } from "./next-server.js";

// The App Router route handlers, through the real Next.js server: `next build`, then `next start`
// in its own process with the platforms' keys and URLs in its environment.
describeMountedRoutes({
  name: "Next.js (App Router)",
  startTimeoutMs: 300_000,
  async start(env, port) {
    await buildNextApp();
    const server = await startNextServer(port, env);
    return { close: () => server.stop() };
  },
});
