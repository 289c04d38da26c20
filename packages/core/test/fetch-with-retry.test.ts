import { afterEach, describe, expect, it } from "vitest";
import { fetchWithRetry, HttpStatusError, PermanentError, RetryAfterError } from "../src/index.js";
import { localServer } from "./local-server.js";

/** A server that answers each request with the next scripted status (and headers). */
async function scripted(responses: Array<[number, Record<string, string>?]>) {
  const times: number[] = [];
  const server = await localServer((_request, _body, response) => {
    times.push(Date.now());
    const [status, headers] = responses[Math.min(times.length - 1, responses.length - 1)]!;
    response.writeHead(status, headers).end(`status ${status}`);
  });
  servers.push(server);
  return { url: server.url, times };
}

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const quick = { backoff: { type: "fixed" as const, delay: 50 }, jitter: 0 };

describe("fetchWithRetry", () => {
  it("retries 5xx, 408 and 429 in place and returns the first success", async () => {
    const server = await scripted([[503], [408], [429], [200]]);
    const response = await fetchWithRetry(server.url, {}, { ...quick, maxAttempts: 4 });
    expect(response.status).toBe(200);
    expect(server.times).toHaveLength(4);
  });

  it.each([400, 401, 403, 404, 422])("fails permanently on %i without retrying", async (status) => {
    const server = await scripted([[status]]);
    const error = await fetchWithRetry(server.url, {}, quick).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(((error as PermanentError).cause as HttpStatusError).status).toBe(status);
    expect(server.times).toHaveLength(1);
  });

  it("throws the last error for the job's retry policy when attempts run out", async () => {
    const server = await scripted([[500]]);
    const error = await fetchWithRetry(server.url, {}, { ...quick, maxAttempts: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(500);
    expect(server.times).toHaveLength(2);
  });

  it("leaves other 4xx to the job's retry policy", async () => {
    const server = await scripted([[409]]);
    await expect(fetchWithRetry(server.url, {}, quick)).rejects.toMatchObject({
      code: "SWITCHYARD_HTTP_STATUS",
      status: 409,
    });
    expect(server.times).toHaveLength(1);
  });

  it("waits as long as Retry-After says", async () => {
    const server = await scripted([[429, { "retry-after": "1" }], [200]]);
    await fetchWithRetry(server.url, {}, { ...quick, maxAttempts: 2 });
    expect(server.times[1]! - server.times[0]!).toBeGreaterThanOrEqual(950);
  });

  it("hands a long Retry-After to the job as a RetryAfterError instead of waiting", async () => {
    const server = await scripted([[503, { "retry-after": "120" }]]);
    const error = await fetchWithRetry(server.url, {}, quick).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryAfterError);
    expect((error as RetryAfterError).delayMs).toBe(120_000);
    expect(server.times).toHaveLength(1);
  });

  it("retries network errors", async () => {
    const server = await localServer((_request, _body, response) => response.end());
    const url = server.url;
    await server.close();
    const started = Date.now();
    const error = await fetchWithRetry(url, {}, { ...quick, maxAttempts: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it("stops waiting when the signal aborts", async () => {
    const server = await scripted([[503, { "retry-after": "10" }]]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("cancelled")), 100);
    await expect(
      fetchWithRetry(server.url, {}, { maxRetryAfterMs: 60_000, signal: controller.signal }),
    ).rejects.toThrow("cancelled");
  });
});
