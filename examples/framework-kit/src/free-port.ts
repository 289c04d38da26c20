import { createServer } from "node:net";

/**
 * A port nothing listens on now. The app's public URL (signed into every QStash delivery) must be
 * known before the app starts, so the port is chosen first.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
