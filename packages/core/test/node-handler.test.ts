import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type NodeRequest, toNodeHandler } from "../src/index.js";

const servers: http.Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Serves `listener` on a random port; returns its base URL. */
async function serve(listener: (req: NodeRequest, res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A Web handler that answers with what it received. */
async function echo(request: Request): Promise<Response> {
  return new Response(
    JSON.stringify({
      method: request.method,
      url: request.url,
      signature: request.headers.get("upstash-signature"),
      body: await request.text(),
    }),
    { status: 207, headers: { "x-answer": "yes", "content-type": "application/json" } },
  );
}

describe("toNodeHandler (Express, Fastify and node:http)", () => {
  it("passes method, URL with its query, headers and the exact body bytes, and writes the answer back", async () => {
    const base = await serve(toNodeHandler(echo));
    const body = '{"text":"héllo 👋","n":1}';
    const response = await fetch(`${base}/api/jobs?job=a.b&retry=msg_1`, {
      method: "POST",
      headers: { "upstash-signature": "sig", "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(207);
    expect(response.headers.get("x-answer")).toBe("yes");
    expect(await response.json()).toEqual({
      method: "POST",
      url: `${base}/api/jobs?job=a.b&retry=msg_1`,
      signature: "sig",
      body,
    });
  });

  it("keeps the Host header's host for a path starting with //", async () => {
    const base = await serve(toNodeHandler(echo));
    const answer = await new Promise<string>((resolve, reject) => {
      const request = http.request(`${base}/`, { path: "//evil.example/api/jobs", method: "GET" }, (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => resolve(text));
      });
      request.on("error", reject);
      request.end();
    });
    expect(JSON.parse(answer).url).toBe(`${base}//evil.example/api/jobs`);
  });

  it("uses the raw body a body parser left on req.body (express.raw()) and Express's originalUrl", async () => {
    const handler = toNodeHandler(echo);
    const base = await serve(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      req.body = Buffer.concat(chunks);
      req.originalUrl = `/mounted${req.url}`;
      await handler(req, res);
    });
    const response = await fetch(`${base}/jobs?job=x`, { method: "POST", body: '{"n":2}' });
    expect(await response.json()).toMatchObject({ body: '{"n":2}', url: `${base}/mounted/jobs?job=x` });
  });

  it("refuses with a clear 500 when a JSON parser already turned the body into an object", async () => {
    let called = false;
    const handler = toNodeHandler(async () => {
      called = true;
      return new Response("ran");
    });
    const base = await serve(async (req, res) => {
      for await (const _ of req) {
        // drained, as a JSON body parser would
      }
      req.body = { n: 2 };
      await handler(req, res);
    });
    const response = await fetch(`${base}/jobs?job=x`, { method: "POST", body: '{"n":2}' });
    expect(response.status).toBe(500);
    expect((await response.json()).error).toMatch(/parsed before the job handler ran/);
    expect(called).toBe(false);
  });

  it("aborts the Web request's signal when the caller drops the connection mid-answer", async () => {
    let aborted = false;
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const base = await serve(
      toNodeHandler(
        (request) =>
          new Promise<Response>((resolve) => {
            entered();
            request.signal.addEventListener("abort", () => {
              aborted = true;
              resolve(new Response("too late"));
            });
          }),
      ),
    );
    const caller = new AbortController();
    const pending = fetch(`${base}/jobs?job=x`, { method: "POST", body: "{}", signal: caller.signal });
    // Drop the connection once the handler runs (before, the body read fails and no handler runs at all).
    await handlerEntered;
    caller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => aborted, { timeout: 2_000 }).toBe(true);
  });
});
