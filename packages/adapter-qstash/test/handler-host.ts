import http from "node:http";
import type { AddressInfo } from "node:net";
import type { StopOptions } from "@switchyard/core";
import { toNodeHandler } from "@switchyard/core";
import { toMilliseconds } from "@switchyard/core/adapter";

interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

/**
 * The app as QStash sees it: one HTTP route per backend, hosting that client's `jobs.handler()` through
 * the Node adapter. Before a route's runtime starts (and between a stop or crash and the next start) its
 * deliveries wait, as behind a load balancer while the app deploys; a running route takes at most
 * `concurrency` deliveries at once and holds the others.
 */
export class HandlerHost {
  readonly #server: http.Server;
  readonly #routes = new Map<string, HostedRoute>();
  #port = 0;

  constructor() {
    this.#server = http.createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const route = this.#routes.get(path);
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      route.accept({ req, res });
    });
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, "127.0.0.1", () => resolve());
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    return this.#port;
  }

  get port(): number {
    return this.#port;
  }

  route(path: string): HostedRoute {
    const route = new HostedRoute(() => this.#routes.delete(path));
    this.#routes.set(path, route);
    return route;
  }

  async close(): Promise<void> {
    for (const route of [...this.#routes.values()]) route.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export class HostedRoute {
  #handler?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
  #running = false;
  #concurrency = Number.POSITIVE_INFINITY;
  #waiting: Exchange[] = [];
  readonly #active = new Set<Exchange>();
  #closed = false;

  constructor(private readonly onClose: () => void) {}

  /** Deliveries handed to the handler so far. */
  dispatched = 0;

  accept(exchange: Exchange): void {
    if (this.#closed) {
      exchange.res.writeHead(410).end();
      return;
    }
    // A delivery QStash gave up on while it waited must not run later.
    exchange.res.once("close", () => {
      this.#waiting = this.#waiting.filter((candidate) => candidate !== exchange);
    });
    this.#waiting.push(exchange);
    this.#pump();
  }

  start(handler: (request: Request) => Promise<Response>, concurrency: number): void {
    this.#handler = toNodeHandler(handler);
    this.#concurrency = concurrency;
    this.#running = true;
    this.#pump();
  }

  /** Takes no new delivery; graceful: lets the running ones answer (until `timeout`), else breaks them. */
  async stop(options: StopOptions = {}): Promise<void> {
    this.#running = false;
    if (options.graceful ?? true) {
      const drained = Promise.all([...this.#active].map(settled));
      const timeoutMs =
        options.timeout === undefined ? undefined : toMilliseconds(options.timeout, "stop(): timeout");
      if (timeoutMs === undefined) await drained;
      else await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
    }
    this.#breakAll();
  }

  /** Dies as a killed process would: every connection it holds breaks, nothing answers. */
  async crash(): Promise<void> {
    this.#running = false;
    this.#breakAll();
  }

  close(): void {
    this.#closed = true;
    this.#running = false;
    this.#breakAll();
    for (const exchange of this.#waiting) exchange.res.destroy();
    this.#waiting = [];
    this.onClose();
  }

  #breakAll(): void {
    for (const exchange of this.#active) exchange.req.socket.destroy();
    this.#active.clear();
  }

  #pump(): void {
    while (this.#running && this.#handler && this.#active.size < this.#concurrency) {
      const exchange = this.#waiting.shift();
      if (!exchange) return;
      this.#active.add(exchange);
      this.dispatched++;
      exchange.res.once("close", () => {
        this.#active.delete(exchange);
        this.#pump();
      });
      this.#handler(exchange.req, exchange.res).catch(() => exchange.res.destroy());
    }
  }
}

/**
 * Resolves once an exchange is over for QStash too: the answer is written and the caller closed the
 * connection (the emulator does not keep connections alive), or a second after the answer.
 */
function settled(exchange: Exchange): Promise<void> {
  return new Promise((resolve) => {
    const { res, req } = exchange;
    const socketClosed = () => resolve();
    if (req.socket.destroyed) return resolve();
    req.socket.once("close", socketClosed);
    res.once("close", () => setTimeout(resolve, 1_000).unref());
  });
}
