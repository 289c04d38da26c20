import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { RunInputError } from "../create-run.js";
import type { RequestRecord } from "../types.js";
import { HttpError, matchPath, type Route, type RouteRequest, type RouteResponse } from "./route.js";

export interface HttpServerOptions {
  routes: readonly Route[];
  secretKey: string;
  validateResponses: boolean;
  port: number;
  onRequest(record: RequestRecord): void;
}

export interface RunningHttpServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the emulated REST API on 127.0.0.1 with node:http. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server: Server = createServer((request, response) => {
    void handle(request, response, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, options: HttpServerOptions) {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  const method = request.method ?? "GET";
  let answer: RouteResponse;
  let route: Route | undefined;
  try {
    const text = await readBody(request);
    const found = findRoute(options.routes, method, url.pathname);
    if (!found) throw new HttpError(404, `No emulated endpoint for ${method} ${url.pathname}`);
    route = found.route;
    // Every authenticated endpoint takes `Authorization: Bearer <secret key>` (C:apiClient/index.js #getHeaders).
    if (route.auth !== false && request.headers.authorization !== `Bearer ${options.secretKey}`) {
      throw new HttpError(401, "Invalid API Key");
    }
    const routeRequest: RouteRequest = {
      method,
      path: url.pathname,
      params: found.params,
      query: url.searchParams,
      headers: request.headers,
      text,
      json: parseJson(text, request.headers["content-type"]),
    };
    answer = await route.handle(routeRequest);
    answer = checkAnswer(answer, route, options.validateResponses);
  } catch (error) {
    answer = errorAnswer(error);
  }
  const status = answer.status ?? 200;
  options.onRequest({ method, path: url.pathname, status });
  const headers: Record<string, string> = { ...answer.headers };
  let payload = "";
  if (answer.rawContentType !== undefined) {
    headers["content-type"] = answer.rawContentType;
    payload = String(answer.body ?? "");
  } else if (answer.body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(answer.body);
  }
  response.writeHead(status, headers);
  response.end(payload);
}

function findRoute(routes: readonly Route[], method: string, path: string) {
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return undefined;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function parseJson(text: string, contentType: string | undefined): unknown {
  const mime = contentType?.split(";")[0]?.trim() ?? "";
  if (text === "" || !(mime === "application/json" || mime.endsWith("+json"))) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "Request body is not valid JSON");
  }
}

/**
 * Checks a 2xx JSON answer against the schema the SDK will parse it with. A mismatch is the
 * emulator's bug, so it answers 500 with `x-should-retry: false` (the SDK obeys that header
 * before its own retry rules, C:apiClient/core.js) and the zod issues in the message.
 */
function checkAnswer(answer: RouteResponse, route: Route, validate: boolean): RouteResponse {
  const status = answer.status ?? 200;
  if (!validate || !route.responseSchema || status >= 300 || answer.rawContentType !== undefined)
    return answer;
  const wire: unknown = JSON.parse(JSON.stringify(answer.body ?? null));
  const result = route.responseSchema.safeParse(wire);
  if (result.success) return answer;
  return {
    status: 500,
    headers: { "x-should-retry": "false" },
    body: {
      error: `Trigger emulator answered ${route.method} ${route.path} off-schema: ${result.error?.message}`,
    },
  };
}

function errorAnswer(error: unknown): RouteResponse {
  if (error instanceof HttpError || error instanceof RunInputError) {
    return { status: error.status, body: { error: error.message } };
  }
  const message = error instanceof Error ? error.message : String(error);
  // 5xx makes the SDK retry (C:apiClient/core.js); an emulator crash won't heal, so say so.
  return {
    status: 500,
    headers: { "x-should-retry": "false" },
    body: { error: `Trigger emulator error: ${message}` },
  };
}
