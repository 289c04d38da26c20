import http from "node:http";
import type { AddressInfo } from "node:net";
import { Receiver } from "@upstash/qstash";

/** One request the destination server got, with the real SDK Receiver's verdict on its signature. */
export interface ReceivedRequest {
  path: string;
  /** Full URL as the emulator called it. */
  url: string;
  method: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: boolean;
  verifyError?: string;
  receivedAt: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Hold the response this long (real ms). */
  delayMs?: number;
}

export type Responder = (request: ReceivedRequest, index: number) => Reply;

/**
 * A destination server for tests: it verifies every request with the real `Receiver` of
 * @upstash/qstash, records it, tracks concurrency per path and answers as the responder registered
 * for the path says (200 by default).
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly responders = new Map<string, Responder>();
  private readonly active = new Map<string, number>();
  private readonly maxActive = new Map<string, number>();
  private server!: http.Server;
  private base = "";

  constructor(private readonly receiver: Receiver) {}

  static async start(keys: { currentSigningKey: string; nextSigningKey: string }): Promise<TestReceiver> {
    const instance = new TestReceiver(new Receiver(keys));
    await instance.listen();
    return instance;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  respond(path: string, responder: Responder): void {
    this.responders.set(path, responder);
  }

  to(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** Highest number of requests to `path` that were in progress at the same time. */
  maxConcurrency(path: string): number {
    return this.maxActive.get(path) ?? 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private listen(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", async () => {
        const rawUrl = request.url ?? "/";
        const path = rawUrl.split("?")[0] as string;
        const body = Buffer.concat(chunks).toString("utf8");
        const received: ReceivedRequest = {
          path,
          url: `${this.base}${rawUrl}`,
          method: request.method ?? "",
          headers: request.headers,
          body,
          verified: false,
          receivedAt: Date.now(),
        };
        try {
          received.verified = await this.receiver.verify({
            signature: String(request.headers["upstash-signature"]),
            body,
            url: received.url,
          });
        } catch (error) {
          received.verifyError = (error as Error).message;
        }
        const index = this.to(path).length;
        this.requests.push(received);
        const now = (this.active.get(path) ?? 0) + 1;
        this.active.set(path, now);
        this.maxActive.set(path, Math.max(now, this.maxActive.get(path) ?? 0));
        const reply = this.responders.get(path)?.(received, index) ?? {};
        if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        this.active.set(path, (this.active.get(path) ?? 1) - 1);
        if (response.destroyed) return;
        response.writeHead(reply.status ?? 200, reply.headers ?? {});
        response.end(reply.body ?? "ok");
      });
    });
    return new Promise((resolve) => {
      this.server.listen(0, "127.0.0.1", () => {
        this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        resolve();
      });
    });
  }
}
