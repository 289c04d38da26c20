import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A `Request => Response` handler such as `jobs.handler()`. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Hosts a fetch handler on node:http, as an app's web server would: each request gets an
 * AbortSignal that aborts when the connection closes before the answer is sent (as Next.js and
 * Hono's node server do). It can drain in-flight requests (a graceful shutdown) or cut them off
 * (a crashed process).
 */
export class AppServer {
  readonly url: string;
  readonly #server: ReturnType<typeof createServer>;
  readonly #inFlight = new Set<IncomingMessage>();
  #drained?: () => void;

  private constructor(server: ReturnType<typeof createServer>, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(handler: FetchHandler, path = "/api/inngest"): Promise<AppServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const app = new AppServer(server, `${origin}${path}`);
    server.on("request", (req, res) => app.#serve(handler, origin, req, res));
    return app;
  }

  /** Requests being answered now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Resolves once no request is in flight, or after `timeoutMs`. */
  async drain(timeoutMs = 30_000): Promise<void> {
    if (this.#inFlight.size === 0) return;
    await Promise.race([
      new Promise<void>((resolve) => {
        this.#drained = resolve;
      }),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  /** Cuts every in-flight request off, as a killed process would: the caller sees a broken connection. */
  cutOff(): void {
    for (const req of this.#inFlight) req.socket.destroy();
  }

  async close(): Promise<void> {
    this.cutOff();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #serve(
    handler: FetchHandler,
    origin: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    this.#inFlight.add(req);
    const aborter = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) aborter.abort(new Error("the connection closed before the answer was sent"));
      this.#inFlight.delete(req);
      if (this.#inFlight.size === 0) this.#drained?.();
    });
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else if (value !== undefined) headers.set(name, value);
      }
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const response = await handler(
        new Request(new URL(req.url ?? "/", origin), {
          method: req.method,
          headers,
          body: hasBody ? Buffer.concat(chunks) : undefined,
          signal: aborter.signal,
        }),
      );
      const body = Buffer.from(await response.arrayBuffer());
      const out: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        out[name] = value;
      });
      delete out["content-encoding"];
      out["content-length"] = String(body.length);
      if (!res.destroyed) {
        res.writeHead(response.status, out);
        res.end(body);
      }
    } catch (error) {
      if (!res.headersSent && !res.destroyed) res.writeHead(500, { "content-type": "text/plain" });
      if (!res.destroyed) res.end(String(error));
    }
  }
}
