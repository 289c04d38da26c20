import { silentLogger, toFastifyPlugin, toNodeHandler } from "@switchyard/core";
import { signDelivery } from "@switchyard/emulator-qstash";
import { postQStashDelivery } from "@switchyard/example-framework-kit/deliveries";
import { createExampleJobs, type ExampleJobs } from "@switchyard/example-framework-kit/jobs";
import { type Platforms, startPlatforms } from "@switchyard/example-framework-kit/platforms";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

// Fastify parses a JSON body before the route runs, and that body is what QStash signed. These
// tests show what toFastifyPlugin is for, and its body limit.

let platforms: Platforms;
let jobs: ExampleJobs;
let app: FastifyInstance | undefined;

beforeAll(async () => {
  platforms = await startPlatforms();
  jobs = createExampleJobs(platforms.env, silentLogger);
});

afterEach(async () => {
  await app?.close();
  app = undefined;
});

afterAll(async () => {
  await jobs?.close();
  await platforms?.close();
});

async function listen(instance: FastifyInstance): Promise<void> {
  app = instance;
  await instance.listen({ port: platforms.port, host: "127.0.0.1" });
}

/** A genuine delivery: signed with QStash's current key for the route's URL and this exact body. */
async function deliverSigned(body: string): Promise<Response> {
  const url = `${platforms.origin}/api/qstash?job=welcome.send`;
  const signature = signDelivery({
    signingKey: platforms.qstash.currentSigningKey,
    url,
    body: Buffer.from(body),
  });
  return postQStashDelivery(url, body, signature);
}

const mailsTo = (email: string) => platforms.mail.mails.filter((mail) => mail.to === email);

describe("Fastify body parsing and the job route", () => {
  it("a plain route handing request.raw on: Fastify already read the body, the genuine delivery is refused", async () => {
    const instance = Fastify();
    const handler = toNodeHandler(jobs.qstash.handler());
    instance.post("/api/qstash", async (request, reply) => {
      reply.hijack();
      await handler(request.raw, reply.raw);
    });
    await listen(instance);
    const response = await deliverSigned(JSON.stringify({ email: "plain@example.com" }));
    expect(response.status).toBe(401);
    expect(mailsTo("plain@example.com")).toEqual([]);
  });

  it("toFastifyPlugin: the same delivery runs", async () => {
    const instance = Fastify();
    instance.register(toFastifyPlugin(jobs.qstash.handler()), { prefix: "/api/qstash" });
    await listen(instance);
    const response = await deliverSigned(JSON.stringify({ email: "plugin@example.com" }));
    expect(response.status).toBe(200);
    expect(mailsTo("plugin@example.com")).toHaveLength(1);
  });

  it("toFastifyPlugin's bodyLimit: a larger body is refused with 413 before anything runs", async () => {
    const instance = Fastify();
    instance.register(toFastifyPlugin(jobs.qstash.handler(), { bodyLimit: 64 }), { prefix: "/api/qstash" });
    await listen(instance);
    const email = `${"a".repeat(80)}@example.com`;
    const response = await deliverSigned(JSON.stringify({ email }));
    expect(response.status).toBe(413);
    expect(mailsTo(email)).toEqual([]);
  });
});
