import type { Server } from "node:http";
import { type NodeRequest, silentLogger, toNodeHandler } from "@switchyard/core";
import { signDelivery } from "@switchyard/emulator-qstash";
import { postQStashDelivery } from "@switchyard/example-framework-kit/deliveries";
import { createExampleJobs, type ExampleJobs } from "@switchyard/example-framework-kit/jobs";
import { type Platforms, startPlatforms } from "@switchyard/example-framework-kit/platforms";
import express, { type Express } from "express";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// express.json() mounted before the job route reads and parses the body first: the signature
// covers bytes that are gone. toNodeHandler then refuses with a 500 that says so, and runs nothing
// (QStash retries the delivery, so nothing is lost once the app is fixed).

let platforms: Platforms;
let jobs: ExampleJobs;
let server: Server | undefined;

beforeAll(async () => {
  platforms = await startPlatforms();
  jobs = createExampleJobs(platforms.env, silentLogger);
});

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

afterAll(async () => {
  await jobs?.close();
  await platforms?.close();
});

async function listen(app: Express): Promise<void> {
  server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(platforms.port, "127.0.0.1", (error) =>
      error ? reject(error) : resolve(listening),
    );
  });
}

/** A genuine delivery: signed with QStash's current key for the route's URL and this exact body. */
async function deliverSigned(email: string): Promise<Response> {
  const url = `${platforms.origin}/api/qstash?job=welcome.send`;
  const body = JSON.stringify({ email });
  const signature = signDelivery({
    signingKey: platforms.qstash.currentSigningKey,
    url,
    body: Buffer.from(body),
  });
  return postQStashDelivery(url, body, signature);
}

const mailsTo = (email: string) => platforms.mail.mails.filter((mail) => mail.to === email);

describe("Express with a JSON body parser mounted before the job route", () => {
  it("refuses a genuine delivery with a 500 naming the problem, and runs nothing", async () => {
    const app = express();
    app.use(express.json());
    app.post("/api/qstash", toNodeHandler(jobs.qstash.handler()));
    await listen(app);
    const response = await deliverSigned("parsed@example.com");
    expect(response.status).toBe(500);
    expect((await response.json()).error).toMatch(/request body was parsed before the job handler ran/);
    expect(mailsTo("parsed@example.com")).toEqual([]);
  });

  it("express.raw() on the route does not help: the global parser already read the body", async () => {
    const app = express();
    app.use(express.json());
    app.post("/api/qstash", express.raw({ type: "*/*" }), toNodeHandler(jobs.qstash.handler()));
    await listen(app);
    const response = await deliverSigned("raw-too-late@example.com");
    expect(response.status).toBe(500);
    expect(mailsTo("raw-too-late@example.com")).toEqual([]);
  });

  it("runs it when the parser keeps the raw bytes: express.json({ verify }) setting req.rawBody", async () => {
    const app = express();
    app.use(
      express.json({
        verify: (req: NodeRequest, _res, buffer) => {
          req.rawBody = buffer;
        },
      }),
    );
    app.post("/api/qstash", toNodeHandler(jobs.qstash.handler()));
    await listen(app);
    const response = await deliverSigned("verify@example.com");
    expect(response.status).toBe(200);
    expect(mailsTo("verify@example.com")).toHaveLength(1);
  });
});
