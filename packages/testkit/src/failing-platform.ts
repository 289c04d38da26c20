import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Server } from "node:net";

/** A local stand-in for a platform that is down or refusing: its URL and what reached it. */
export interface FailingPlatform {
  url: string;
  /** Requests (HTTP) or first bytes of a request (reset) that arrived. */
  readonly received: number;
  close(): Promise<void>;
}

/** A URL on 127.0.0.1 where nothing listens: every connection is refused. */
export async function closedPort(): Promise<string> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** An HTTP server answering every request with `status` and `body`. */
export async function answeringPlatform(status: number, body: string): Promise<FailingPlatform> {
  let received = 0;
  const server = createHttpServer((req, res) => {
    received++;
    req.resume();
    req.on("end", () => res.writeHead(status, { "content-type": "text/plain" }).end(body));
  });
  return listening(server, () => received);
}

/**
 * A server that accepts each connection, waits for the request's first bytes, then destroys the
 * socket: the request left, and no answer ever comes. With `closeAfter`, it stops listening after
 * that many requests (later connections are refused).
 */
export async function resettingPlatform(options: { closeAfter?: number } = {}): Promise<FailingPlatform> {
  let received = 0;
  const server = createNetServer((socket) => {
    socket.once("data", () => {
      received++;
      socket.destroy();
      if (options.closeAfter !== undefined && received >= options.closeAfter) server.close();
    });
    socket.on("error", () => {});
  });
  return listening(server, () => received);
}

/** One answer of a scripted platform: a JSON body with status 200, or a reset connection. */
export type ScriptedAnswer = { json: unknown } | "reset";

/**
 * An HTTP server answering its n-th request with `script[n]` (the last entry for every later one):
 * a platform that works, then breaks off.
 */
export async function scriptedPlatform(script: ReadonlyArray<ScriptedAnswer>): Promise<FailingPlatform> {
  let received = 0;
  const server = createHttpServer((req, res) => {
    const answer = script[Math.min(received, script.length - 1)]!;
    received++;
    req.resume();
    req.on("end", () => {
      if (answer === "reset") req.socket.destroy();
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer.json));
    });
  });
  return listening(server, () => received);
}

async function listening(server: Server, received: () => number): Promise<FailingPlatform> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get received() {
      return received();
    },
    close: () =>
      new Promise<void>((resolve) => {
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        if (!server.listening) resolve();
        else server.close(() => resolve());
      }),
  };
}
