import http from "node:http";
import type { AddressInfo } from "node:net";
import { HttpError } from "./http-error.js";
import { findRoute, type Route, type RouteContext } from "./router.js";

/**
 * Bearer auth as the SDK sends it (`Authorization: Bearer <token>`, Q:1539-1545) or the
 * `qstash_token` query parameter (OA bearerAuthQuery).
 */
function isAuthorized(request: http.IncomingMessage, query: URLSearchParams, token: string): boolean {
  const header = request.headers.authorization;
  if (header !== undefined) return header === `Bearer ${token}`;
  return query.get("qstash_token") === token;
}

function send(response: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    response.writeHead(status, { "content-length": "0" });
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  response.end(text);
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** An HTTP server answering the QStash API from `routes`; errors become `{"error": …}` bodies. */
export class ApiServer {
  private readonly server: http.Server;

  constructor(routes: Route[], token: () => string) {
    this.server = http.createServer(async (request, response) => {
      try {
        const rawUrl = request.url ?? "/";
        const queryStart = rawUrl.indexOf("?");
        const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
        const rawQuery = queryStart === -1 ? "" : rawUrl.slice(queryStart);
        const query = new URLSearchParams(rawQuery);
        const body = await readBody(request);
        if (!isAuthorized(request, query, token())) throw new HttpError(401, "Unauthorized");
        const method = (request.method ?? "GET").toUpperCase();
        const found = findRoute(routes, method, path);
        if (!("route" in found)) {
          throw new HttpError(found.methodMismatch ? 405 : 404, `${method} ${path} is not emulated`);
        }
        const remote = request.socket.remoteAddress?.replace(/^::ffff:/, "");
        const context: RouteContext = {
          method,
          path,
          query,
          rawQuery,
          params: found.params,
          headers: request.headers,
          body,
          ...(remote ? { callerIp: remote } : {}),
        };
        const result = found.route.handle(context);
        send(response, result.status, result.body);
      } catch (error) {
        if (error instanceof HttpError) send(response, error.status, { error: error.message });
        else send(response, 500, { error: error instanceof Error ? error.message : String(error) });
      }
    });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
