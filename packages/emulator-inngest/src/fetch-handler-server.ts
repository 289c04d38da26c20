import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./http-io.js";

/** A Web `Request → Response` handler, such as `serve()` from `inngest/edge` or `jobs.handler()`. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** A running host for a {@link FetchHandler}. */
export interface FetchHandlerServer {
  /** Base URL, `http://127.0.0.1:<port>`. */
  origin: string;
  /** Full URL of the handler: `origin` + `path`. */
  url: string;
  close(): Promise<void>;
}

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), {
    method: req.method,
    headers,
    body: hasBody ? await readBody(req) : undefined,
  });
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  delete headers["content-encoding"];
  headers["content-length"] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

/**
 * Hosts a fetch-style handler on a node:http server on 127.0.0.1 (random
 * port), for tests: the executor calls `url` like Inngest calls an app.
 * Every request is passed to the handler whatever its path.
 */
export async function startFetchHandlerServer(
  handler: FetchHandler,
  options: { path?: string; port?: number } = {},
): Promise<FetchHandlerServer> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    toRequest(req, origin)
      .then((request) => handler(request))
      .then((response) => writeResponse(response, res))
      .catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(error));
      });
  });
  return {
    origin,
    url: `${origin}${options.path ?? "/api/inngest"}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
