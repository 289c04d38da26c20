import { request as httpRequest } from "node:http";
import { ConfigError, createSwitchyard, defineJob, type Switchyard } from "@switchyard/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { dashboard, REDACTED, serveDashboard } from "../src/index.js";
import { withSocketAddress } from "../src/socket-address.js";

const ORIGIN = "http://dash.test";
const signup = defineJob({
  name: "signup",
  schema: z.object({
    email: z.string(),
    password: z.string(),
    card: z.object({ number: z.string(), brand: z.string() }),
  }),
  retry: { maxAttempts: 1 },
  handler: () => {
    throw new Error("smtp down");
  },
});
const allow = () => true;

let jobs: Switchyard;
beforeEach(() => {
  jobs = createSwitchyard({ jobs: [signup], logger: { info() {}, warn() {}, error() {} } });
});
afterEach(() => jobs.close());

function get(
  handler: (request: Request) => Promise<Response>,
  path: string,
  headers: Record<string, string> = {},
) {
  return handler(new Request(`${ORIGIN}${path}`, { headers }));
}

/** The token the page hands to its script. */
async function csrfToken(handler: (request: Request) => Promise<Response>, base = ""): Promise<string> {
  const html = await (await get(handler, `${base}/`)).text();
  return /name="switchyard-csrf" content="([^"]+)"/.exec(html)![1]!;
}

function post(
  handler: (request: Request) => Promise<Response>,
  path: string,
  headers: Record<string, string>,
): Promise<Response> {
  return handler(new Request(`${ORIGIN}${path}`, { method: "POST", headers }));
}

/** fetch() sets Host itself: node:http sends the one given, as a rebinding page's browser would. */
function statusWithHost(url: string, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on("error", reject);
    request.end();
  });
}

async function failedJob(): Promise<string> {
  const { id } = await jobs.enqueue(signup, {
    email: "a@example.com",
    password: "hunter2",
    card: { number: "4242424242424242", brand: "visa" },
  });
  const worker = jobs.work();
  for (let i = 0; i < 200 && (await jobs.get(id))?.state !== "failed"; i++)
    await new Promise((r) => setTimeout(r, 10));
  await worker.stop();
  expect((await jobs.get(id))?.state).toBe("failed");
  return id;
}

describe("dashboard(): who may use it", () => {
  it("refuses to start without authorize() unless told it is local-only", () => {
    expect(() => dashboard(jobs, {})).toThrow(ConfigError);
    expect(() => dashboard(jobs, {})).toThrow(/authorize\(request\).*localOnly: true/);
    expect(() => dashboard(jobs, undefined as never)).toThrow(ConfigError);
    expect(() => dashboard(jobs, { localOnly: false })).toThrow(ConfigError);
    expect(() => dashboard(jobs, { authorize: allow })).not.toThrow();
    expect(() => dashboard(jobs, { localOnly: true })).not.toThrow();
  });

  it("checks its options with typed errors", () => {
    expect(() => dashboard({} as never, { authorize: allow })).toThrow(/createSwitchyard/);
    expect(() => dashboard(jobs, { authorize: allow, basePath: "admin" })).toThrow(/basePath/);
    expect(() => dashboard(jobs, { authorize: allow, redact: ["a..b"] })).toThrow(/redact/);
    expect(() => dashboard(jobs, { authorize: allow, csrfSecret: "short" })).toThrow(/csrfSecret/);
    expect(() => dashboard(jobs, { authorize: allow, allowedOrigins: ["https://x.test/path"] })).toThrow(
      /allowedOrigins/,
    );
    expect(() => dashboard(jobs, { authorize: allow, readonly: true } as never)).toThrow(/unknown option/);
  });

  it("answers 401 to every page, file and API call authorize() turns away", async () => {
    const handler = dashboard(jobs, { authorize: (request) => request.headers.get("x-user") === "admin" });
    for (const path of ["/", "/assets/dashboard.js", "/api/overview", "/api/jobs?state=failed"]) {
      const response = await get(handler, path);
      expect(response.status, path).toBe(401);
      expect(await response.text()).not.toContain("signup");
    }
    expect((await get(handler, "/api/overview", { "x-user": "admin" })).status).toBe(200);
    const throwing = dashboard(jobs, {
      authorize: () => {
        throw new Error("session store at 10.1.2.3 unreachable");
      },
    });
    const refused = await get(throwing, "/api/overview");
    expect(refused.status).toBe(500);
    expect(await refused.text()).not.toContain("10.1.2.3");
  });

  it("local-only serves loopback clients with a loopback Host, and nothing without a known address", async () => {
    let address: string | undefined;
    const handler = dashboard(jobs, { localOnly: true, clientAddress: () => address });
    const at = (host: string) => handler(new Request(`http://${host}/api/overview`));
    address = undefined;
    expect((await at("127.0.0.1:4000")).status).toBe(403);
    address = "203.0.113.9";
    expect((await at("localhost:4000")).status).toBe(403); // a Host that says localhost is no proof
    address = "127.0.0.1";
    expect((await at("localhost:4000")).status).toBe(200);
    expect((await at("127.0.0.1:4000")).status).toBe(200);
    expect((await at("[::1]:4000")).status).toBe(200);
    expect((await at("evil.example:4000")).status).toBe(403); // DNS rebinding: a loopback socket, a foreign name
    address = "::1";
    expect((await at("localhost")).status).toBe(200);
    address = "::ffff:127.0.0.1";
    expect((await at("localhost")).status).toBe(200);
    address = "::ffff:10.0.0.1";
    expect((await at("localhost")).status).toBe(403);
  });

  it("without clientAddress, localOnly checks the socket address serveDashboard() records", async () => {
    const handler = dashboard(jobs, { localOnly: true });
    const at = (address: string | undefined) =>
      withSocketAddress(address, () => handler(new Request("http://localhost:4000/api/overview")));
    expect((await at("203.0.113.9")).status).toBe(403);
    expect((await at(undefined)).status).toBe(403);
    expect((await at("127.0.0.1")).status).toBe(200);
  });

  it("serveDashboard() is local-only by default and reads the socket's address", async () => {
    const served = await serveDashboard(jobs);
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(served.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("switchyard-csrf");
      expect(await statusWithHost(`${served.url}api/overview`, "evil.example")).toBe(403);
      expect(await statusWithHost(`${served.url}api/overview`, "localhost")).toBe(200);
    } finally {
      await served.close();
    }
  });
});

describe("dashboard(): state-changing requests", () => {
  it("needs the page's CSRF token and its own Origin; read-only refuses actions", async () => {
    const id = await failedJob();
    const handler = dashboard(jobs, { authorize: allow });
    const token = await csrfToken(handler);
    const retry = `/api/jobs/${id}/retry`;
    // Forged origin, token or not.
    expect(
      (await post(handler, retry, { origin: "https://evil.example", "x-switchyard-csrf": token })).status,
    ).toBe(403);
    // No Origin and a cross-site fetch.
    expect(
      (await post(handler, retry, { "sec-fetch-site": "cross-site", "x-switchyard-csrf": token })).status,
    ).toBe(403);
    // Same origin, no token / a made-up token / a token signed by another dashboard.
    expect((await post(handler, retry, { origin: ORIGIN })).status).toBe(403);
    expect(
      (await post(handler, retry, { origin: ORIGIN, "x-switchyard-csrf": `${Date.now()}.forged` })).status,
    ).toBe(403);
    const other = await csrfToken(dashboard(jobs, { authorize: allow }));
    expect((await post(handler, retry, { origin: ORIGIN, "x-switchyard-csrf": other })).status).toBe(403);
    expect((await jobs.get(id))?.state).toBe("failed");
    // GET never changes anything.
    expect((await get(handler, retry)).status).toBe(404);

    const readOnly = dashboard(jobs, { authorize: allow, readOnly: true });
    const readOnlyToken = await csrfToken(readOnly);
    const refused = await post(readOnly, retry, { origin: ORIGIN, "x-switchyard-csrf": readOnlyToken });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: "the dashboard is read-only" });
    const offers = (await (await get(readOnly, "/api/overview")).json()).offers;
    expect(offers).toMatchObject({ readOnly: true, retry: false, cancel: false, retryFailed: false });
    expect((await jobs.get(id))?.state).toBe("failed");

    const done = await post(handler, retry, { origin: ORIGIN, "x-switchyard-csrf": token });
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ retried: true });
    expect((await jobs.get(id))?.state).not.toBe("failed");
  });

  it("accepts Sec-Fetch-Site: same-origin without Origin, and the origins given in allowedOrigins", async () => {
    const id = await failedJob();
    const handler = dashboard(jobs, { authorize: allow, allowedOrigins: ["https://jobs.example.com"] });
    const token = await csrfToken(handler);
    const cancel = `/api/jobs/${id}/cancel`;
    const headers = { "x-switchyard-csrf": token };
    expect((await post(handler, cancel, { ...headers, "sec-fetch-site": "same-origin" })).status).toBe(200);
    expect((await post(handler, cancel, { ...headers, origin: "https://jobs.example.com" })).status).toBe(
      200,
    );
  });

  it("a token signed with a shared csrfSecret passes on every instance", async () => {
    const csrfSecret = "a-deployment-wide-secret-of-32-characters!";
    const one = dashboard(jobs, { authorize: allow, csrfSecret });
    const two = dashboard(jobs, { authorize: allow, csrfSecret });
    const response = await post(two, "/api/retry-failed", {
      origin: ORIGIN,
      "x-switchyard-csrf": await csrfToken(one),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ retried: 0 });
  });
});

describe("dashboard(): what reaches the browser", () => {
  it("redacted payload fields never leave the server", async () => {
    const id = await failedJob();
    await jobs.schedules.upsert(signup, {
      id: "nightly",
      cron: "0 3 * * *",
      payload: { email: "b@example.com", password: "swordfish", card: { number: "5555", brand: "mc" } },
    });
    const handler = dashboard(jobs, { authorize: allow, redact: ["password", "card.number"] });
    const detail = await (await get(handler, `/api/jobs/${id}`)).text();
    expect(JSON.parse(detail).job.payload).toEqual({
      email: "a@example.com",
      password: REDACTED,
      card: { number: REDACTED, brand: "visa" },
    });
    const schedules = await (await get(handler, "/api/schedules")).text();
    expect(JSON.parse(schedules).schedules[0].payload.password).toBe(REDACTED);
    const list = await (await get(handler, "/api/jobs?state=failed")).text();
    for (const body of [detail, schedules, list]) {
      for (const secret of ["hunter2", "4242424242424242", "swordfish", "5555"])
        expect(body).not.toContain(secret);
    }
    // The stored job is untouched.
    expect((await jobs.get(id))?.payload).toMatchObject({ password: "hunter2" });

    const byFunction = dashboard(jobs, { authorize: allow, redact: (_payload, job) => `hidden ${job}` });
    expect((await (await get(byFunction, `/api/jobs/${id}`)).json()).job.payload).toBe("hidden signup");
  });

  it("serves under basePath only, with headers that keep the page to its own files", async () => {
    const handler = dashboard(jobs, { authorize: allow, basePath: "/admin/jobs" });
    expect((await get(handler, "/api/overview")).status).toBe(404);
    const bare = await get(handler, "/admin/jobs");
    expect(bare.status).toBe(308);
    expect(bare.headers.get("location")).toBe("/admin/jobs/");
    const page = await get(handler, "/admin/jobs/");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(await page.text()).toContain('src="/admin/jobs/assets/dashboard.js"');
    expect((await get(handler, "/admin/jobs/assets/dashboard.css")).headers.get("content-type")).toContain(
      "text/css",
    );
    const overview = await (await get(handler, "/admin/jobs/api/overview")).json();
    expect(overview.offers).toMatchObject({
      backend: "memory",
      retry: true,
      cancel: true,
      retryFailed: true,
    });
    expect(overview.counts).toMatchObject({ failed: 0, waiting: 0 });
  });

  it("offers only what the capability manifest supports; the routes of the rest answer 501", async () => {
    const features = {
      ...jobs.capabilities.features,
      "jobs.retry": "unsupported",
      "jobs.cancel": "unsupported",
      "jobs.retryFailed": "unsupported",
      "jobs.counts": "unsupported",
      "jobs.list": "unsupported",
    } as const;
    // The client as a backend without those features shows it: the manifest says no, every call is real.
    const limited = Object.create(jobs, {
      capabilities: { value: { ...jobs.capabilities, features } },
    }) as Switchyard;
    const id = await failedJob();
    const handler = dashboard(limited, { authorize: allow });
    const overview = await (await get(handler, "/api/overview")).json();
    expect(overview.offers).toMatchObject({
      counted: [],
      listed: ["failed"],
      retry: false,
      cancel: false,
      retryFailed: false,
    });
    expect(overview.counts).toBeUndefined();
    // Without jobs.list, failed jobs are still listed through listFailed().
    const failed = await (await get(handler, "/api/jobs?state=failed")).json();
    expect(failed.jobs.map((job: { id: string }) => job.id)).toEqual([id]);
    expect((await get(handler, "/api/jobs?state=completed")).status).toBe(501);
    const token = await csrfToken(handler);
    for (const path of [`/api/jobs/${id}/retry`, `/api/jobs/${id}/cancel`, "/api/retry-failed"]) {
      const response = await post(handler, path, { origin: ORIGIN, "x-switchyard-csrf": token });
      expect(response.status, path).toBe(501);
    }
    expect((await jobs.get(id))?.state).toBe("failed");
  });

  it("lists pages newest first through the cursor, and filters counts and lists by job name", async () => {
    const ping = defineJob({ name: "ping", schema: z.object({ n: z.number() }), handler: () => "pong" });
    const local = createSwitchyard({ jobs: [ping, signup], logger: { info() {}, warn() {}, error() {} } });
    try {
      for (let n = 0; n < 60; n++) await local.enqueue(ping, { n }, { delay: "1h" });
      await local.enqueue(
        signup,
        { email: "x", password: "y", card: { number: "1", brand: "b" } },
        { delay: "1h" },
      );
      const handler = dashboard(local, { authorize: allow });
      const first = await (await get(handler, "/api/jobs?state=delayed")).json();
      expect(first.jobs).toHaveLength(50);
      expect(first.jobs[0].name).toBe("signup"); // the newest
      const second = await (
        await get(handler, `/api/jobs?state=delayed&cursor=${encodeURIComponent(first.cursor)}`)
      ).json();
      expect(second.jobs).toHaveLength(11);
      expect(second.cursor).toBeUndefined();
      const all = [...first.jobs, ...second.jobs].map((job: { id: string }) => job.id);
      expect(new Set(all).size).toBe(61);
      // The overview: one counts() call per job, the totals their sum.
      const counting = vi.spyOn(local, "counts");
      const overview = await (await get(handler, "/api/overview")).json();
      expect(overview.counts.delayed).toBe(61);
      expect(overview.byJob.map((row: { job: string }) => row.job)).toEqual(["ping", "signup"]);
      expect(counting).toHaveBeenCalledTimes(2);
      counting.mockClear();
      const signupOnly = await (await get(handler, "/api/overview?job=signup")).json();
      expect(signupOnly.counts.delayed).toBe(1);
      expect(counting).toHaveBeenCalledTimes(1);
      const listed = await (await get(handler, "/api/jobs?state=delayed&job=signup")).json();
      expect(listed.jobs.map((job: { name: string }) => job.name)).toEqual(["signup"]);
      expect(listed.jobs[0]).not.toHaveProperty("payload"); // lists carry no payload at all
    } finally {
      await local.close();
    }
  });

  it("unknown states and job ids get clear answers", async () => {
    const handler = dashboard(jobs, { authorize: allow });
    const badState = await get(handler, "/api/jobs?state=exploded");
    expect(badState.status).toBe(501);
    expect((await badState.json()).error).toContain("cannot list exploded");
    const missing = await get(handler, "/api/jobs/nope");
    expect(missing.status).toBe(404);
    expect((await get(handler, "/api/jobs/%E0%A4%A")).status).toBe(400);
    expect((await handler(new Request(`${ORIGIN}/api/overview`, { method: "PUT" }))).status).toBe(405);
  });
});
