import { defineJob, type Switchyard } from "@switchyard/core";
import { type QStashEmulator, signDelivery } from "@switchyard/emulator-qstash";
import { waitFor } from "@switchyard/testkit";
import { Receiver } from "@upstash/qstash";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type EmulatedApp, startEmulatedApp } from "./emulated-app.js";

// Every request below that is not genuinely signed by QStash for this URL and body must get 401 and
// run nothing: `calls` counts the job handler's invocations, `handled` the HTTP requests that reached
// the route.
let app: EmulatedApp;
let emulator: QStashEmulator;
let jobs: Switchyard;
let handlerUrl: string;
let calls = 0;
let handled = 0;

const job = defineJob({
  name: "mail.send",
  schema: z.object({ n: z.number() }),
  handler: () => {
    calls++;
  },
});
const other = defineJob({ name: "mail.purge", schema: z.object({ n: z.number() }), handler: () => {} });

beforeAll(async () => {
  app = await startEmulatedApp({
    jobs: [job, other],
    onRequest: () => {
      handled++;
    },
  });
  ({ emulator, jobs, handlerUrl } = app);
});

afterAll(() => app?.close());

beforeEach(() => {
  calls = 0;
  handled = 0;
});

const jobUrl = (name = job.name) => `${handlerUrl}?job=${name}`;
const body = JSON.stringify({ n: 1 });

/** Posts to the handler route as QStash would, with the given signature (or none). */
async function deliver(options: { url?: string; body?: string; signature?: string }): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "upstash-message-id": "msg_replayed",
    "upstash-retried": "0",
  };
  if (options.signature !== undefined) headers["upstash-signature"] = options.signature;
  return fetch(options.url ?? jobUrl(), { method: "POST", headers, body: options.body ?? body });
}

/** Asserts the request was turned away with 401 before any job code ran. */
async function expectRejected(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(await response.json()).toEqual({ error: "invalid or missing Upstash-Signature" });
  expect(handled).toBe(1);
  expect(calls).toBe(0);
}

describe("qstash handler: only what QStash signed runs", () => {
  it("runs a job QStash delivered (the control case): one call, answered 200", async () => {
    const { id } = await jobs.enqueue(job, { n: 1 });
    await waitFor(() => calls === 1, { message: "the delivery" });
    const delivery = await emulator.waitForDelivery((d) => d.messageId === id);
    expect(delivery.status).toBe(200);
    expect(delivery.url).toBe(jobUrl());
  });

  it("rejects a request with no Upstash-Signature", async () => {
    await expectRejected(await deliver({}));
  });

  it("rejects a forged signature: a well-formed token signed with a key QStash does not hold", async () => {
    const signature = signDelivery({
      signingKey: "sig_attacker_key",
      url: jobUrl(),
      body: Buffer.from(body),
    });
    await expectRejected(await deliver({ signature }));
  });

  it("rejects a signature that is not a JWT at all", async () => {
    await expectRejected(await deliver({ signature: "not-a-jwt" }));
  });

  it("rejects a genuine signature sent with a tampered body", async () => {
    const signature = signDelivery({
      signingKey: emulator.currentSigningKey,
      url: jobUrl(),
      body: Buffer.from(body),
    });
    await expectRejected(await deliver({ signature, body: JSON.stringify({ n: 2 }) }));
  });

  it("rejects an expired signature (QStash signs for 5 minutes; no clock tolerance by default)", async () => {
    const signature = signDelivery({
      signingKey: emulator.currentSigningKey,
      url: jobUrl(),
      body: Buffer.from(body),
      nowMs: Date.now() - 301_000,
    });
    await expectRejected(await deliver({ signature }));
  });

  it("rejects a signature that is not valid yet (nbf in the future)", async () => {
    const signature = signDelivery({
      signingKey: emulator.currentSigningKey,
      url: jobUrl(),
      body: Buffer.from(body),
      nowMs: Date.now() + 60_000,
    });
    await expectRejected(await deliver({ signature }));
  });

  it("rejects a genuine delivery to another URL replayed against this one", async () => {
    const elsewhere = "https://other-app.example.com/api/jobs?job=mail.send";
    const signature = signDelivery({
      signingKey: emulator.currentSigningKey,
      url: elsewhere,
      body: Buffer.from(body),
    });
    await expectRejected(await deliver({ signature }));
  });

  it("rejects a genuine delivery for one job replayed with another job's name in the URL", async () => {
    const { id } = await jobs.enqueue(other, { n: 1 });
    const genuine = await emulator.waitForDelivery((d) => d.messageId === id);
    handled = 0;
    const response = await deliver({
      url: jobUrl(job.name),
      body: genuine.body,
      signature: genuine.headers["upstash-signature"],
    });
    await expectRejected(response);
  });

  it("accepts a delivery signed with the next key, so rolling the keys drops nothing", async () => {
    const signature = signDelivery({
      signingKey: emulator.nextSigningKey,
      url: jobUrl(),
      body: Buffer.from(body),
    });
    const response = await deliver({ signature });
    expect(response.status).toBe(200);
    expect(calls).toBe(1);
  });
});

describe("the emulator's signatures and the real Receiver", () => {
  it("verify with the emulator's keys, and not with a wrong key pair", async () => {
    const { id } = await jobs.enqueue(job, { n: 5 });
    const delivery = await emulator.waitForDelivery((d) => d.messageId === id);
    const signature = delivery.headers["upstash-signature"] as string;
    const right = new Receiver({
      currentSigningKey: emulator.currentSigningKey,
      nextSigningKey: emulator.nextSigningKey,
    });
    await expect(right.verify({ signature, body: delivery.body, url: jobUrl() })).resolves.toBe(true);
    const wrong = new Receiver({ currentSigningKey: "sig_wrong_current", nextSigningKey: "sig_wrong_next" });
    await expect(wrong.verify({ signature, body: delivery.body, url: jobUrl() })).rejects.toThrow();
    await expect(right.verify({ signature, body: delivery.body, url: jobUrl(other.name) })).rejects.toThrow(
      /invalid subject/,
    );
  });
});
