import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A Node request as Express hands it over. When a body parser already read the stream, the raw bytes
 * must be on `rawBody` or `body` (a Buffer or string: `express.raw()` on the route, or
 * `express.json({ verify })` setting `req.rawBody`); a parsed JSON object cannot be used, since the
 * signature covers the exact bytes the platform sent.
 */
export type NodeRequest = IncomingMessage & { body?: unknown; rawBody?: unknown; originalUrl?: string };

/** Thrown when the body was parsed into an object before the handler saw it. */
export class RawBodyUnavailableError extends Error {
  override readonly name = "RawBodyUnavailableError";
}

/**
 * Mounts a Web `Request → Response` handler (`jobs.handler()`) on Node's http API, as Express uses it:
 * `app.post("/api/jobs", toNodeHandler(jobs.handler()))` (for Fastify, see toFastifyPlugin). The Web request's signal
 * aborts when the connection closes before the answer is sent (the platform gave up, or the server is going
 * down), which aborts the running attempt's `ctx.signal`.
 */
export function toNodeHandler(
  handler: (request: Request) => Promise<Response>,
): (req: NodeRequest, res: ServerResponse) => Promise<void> {
  return (req, res) => serveNodeRequest(handler, req, res, () => rawBody(req));
}

/**
 * Answers one Node request with `handler`, the body coming from `readBody` (the stream, or what a
 * framework already read). Shared by toNodeHandler and toFastifyPlugin.
 */
export async function serveNodeRequest(
  handler: (request: Request) => Promise<Response>,
  req: NodeRequest,
  res: ServerResponse,
  readBody: () => Promise<Buffer>,
): Promise<void> {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished)
      controller.abort(new Error("the connection closed before the answer was sent"));
  };
  res.once("close", onClose);
  let response: Response;
  try {
    const body = await readBody();
    response = await handler(
      new Request(requestUrl(req), {
        method: req.method ?? "POST",
        headers: toHeaders(req),
        ...(req.method === "GET" || req.method === "HEAD" ? {} : { body: new Uint8Array(body) }),
        signal: controller.signal,
      }),
    );
  } catch (error) {
    const message =
      error instanceof RawBodyUnavailableError
        ? error.message
        : "the job handler could not process the request";
    response = new Response(JSON.stringify({ error: message }), {
      status: 500,
      headers: { "content-type": "application/json" },
    });
  }
  if (res.destroyed || res.writableEnded) return;
  const payload = Buffer.from(await response.arrayBuffer());
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  res.setHeader("content-length", payload.length);
  res.end(payload);
}

/** The raw bytes: left by a body parser as a Buffer or string, else read from the stream. */
export async function rawBody(req: NodeRequest): Promise<Buffer> {
  for (const candidate of [req.rawBody, req.body]) {
    if (typeof candidate === "string") return Buffer.from(candidate, "utf8");
    if (candidate instanceof Uint8Array) return Buffer.from(candidate);
  }
  if (req.body !== undefined && req.body !== null) {
    throw new RawBodyUnavailableError(
      "the request body was parsed before the job handler ran: mount it before JSON body parsers (or give it the raw bytes, e.g. express.raw({ type: '*/*' })), since the signature covers the exact body",
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function requestUrl(req: NodeRequest): string {
  const host = req.headers.host ?? "localhost";
  const path = req.originalUrl ?? req.url ?? "/";
  // Concatenated, not resolved: `new URL("//evil.example/x", base)` would take the path's host.
  return new URL(`http://${host}${path.startsWith("/") ? path : `/${path}`}`).toString();
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(":")) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}
