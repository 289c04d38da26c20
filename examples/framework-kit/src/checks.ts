import { silentLogger } from "@switchyard/core";
import { signRequestBody } from "@switchyard/emulator-inngest";
import { signDelivery } from "@switchyard/emulator-qstash";
import { waitFor } from "@switchyard/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inngestExecutionBody, postInngestCall, postQStashDelivery, ulidLike } from "./deliveries.js";
import { createExampleJobs, type ExampleJobs } from "./jobs.js";
import { EXAMPLE_APP_ID, type Platforms, startPlatforms } from "./platforms.js";

/** An example app, started by its test on 127.0.0.1. */
export interface RunningApp {
  /** Stops the app and everything it started (servers, child processes, clients). */
  close(): Promise<void>;
}

/** How a test starts one framework's example app. */
export interface FrameworkUnderTest {
  name: string;
  /**
   * Starts the app on 127.0.0.1:`port` with `env` (what `createExampleJobs()` reads), serving
   * `/api/qstash`, `/api/inngest` and its own JSON route `POST /api/signup` (`{ email }`: enqueues
   * the welcome job through QStash, answers the enqueue result); resolves once it answers requests.
   */
  start(env: Record<string, string>, port: number): Promise<RunningApp>;
  /** How long `start` may take. Default: the hook timeout. */
  startTimeoutMs?: number;
}

/**
 * The checks every framework example passes: real deliveries (published through the real SDKs; the
 * QStash emulator and the Inngest executor deliver them signed to the app's routes) run the job
 * once, and forged ones are refused with 401 and run nothing. What ran is read from the mail API
 * the job posts to, outside the app.
 */
export function describeMountedRoutes(framework: FrameworkUnderTest): void {
  let platforms: Platforms;
  let app: RunningApp | undefined;
  /** The producer side: another service enqueueing through the same platforms. */
  let producer: ExampleJobs;
  let qstashRoute: string;
  let inngestRoute: string;

  beforeAll(async () => {
    platforms = await startPlatforms();
    qstashRoute = `${platforms.origin}/api/qstash`;
    inngestRoute = `${platforms.origin}/api/inngest`;
    app = await framework.start(platforms.env, platforms.port);
    producer = createExampleJobs(platforms.env, silentLogger);
  }, framework.startTimeoutMs);

  afterAll(async () => {
    await producer?.close();
    await app?.close();
    await platforms?.close();
  });

  const mails = () => platforms.mail.mails;
  let mailsBefore = 0;
  beforeEach(() => {
    mailsBefore = mails().length;
  });
  const newMails = () => mails().slice(mailsBefore);

  describe(`${framework.name}: the QStash route`, () => {
    const jobUrl = () => `${qstashRoute}?job=welcome.send`;
    const body = JSON.stringify({ email: "ada@example.com" });

    async function expectRefused(response: Response): Promise<void> {
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: "invalid or missing Upstash-Signature" });
      expect(newMails()).toEqual([]);
    }

    it("runs a job QStash delivers, signed with the current key: answered 200, run once", async () => {
      const { id } = await producer.qstash.enqueue(producer.sendWelcome, { email: "ada@example.com" });
      const delivery = await platforms.qstash.waitForDelivery((d) => d.messageId === id);
      expect(delivery.url).toBe(jobUrl());
      expect(delivery.status).toBe(200);
      expect(newMails()).toEqual([{ to: "ada@example.com", subject: "Welcome!", jobId: id }]);
    });

    it("runs the job the app's own JSON route enqueued (the app's other routes still parse JSON)", async () => {
      const response = await fetch(`${platforms.origin}/api/signup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "barbara@example.com" }),
      });
      expect(response.status).toBe(200);
      const { id } = (await response.json()) as { id: string };
      const delivery = await platforms.qstash.waitForDelivery((d) => d.messageId === id);
      expect(delivery.status).toBe(200);
      expect(newMails()).toEqual([{ to: "barbara@example.com", subject: "Welcome!", jobId: id }]);
    });

    it("runs a delivery signed with the next key (QStash rolling its keys)", async () => {
      const signature = signDelivery({
        signingKey: platforms.qstash.nextSigningKey,
        url: jobUrl(),
        body: Buffer.from(body),
      });
      const response = await postQStashDelivery(jobUrl(), body, signature);
      expect(response.status).toBe(200);
      expect(newMails()).toMatchObject([{ to: "ada@example.com" }]);
    });

    it("checks the exact bytes sent: a body with spaces and unsorted keys, signed as is, runs", async () => {
      // A route that re-serialized a parsed body would hash other bytes and refuse this one.
      const spaced = '{ "email" : "grace@example.com" }';
      const signature = signDelivery({
        signingKey: platforms.qstash.currentSigningKey,
        url: jobUrl(),
        body: Buffer.from(spaced),
      });
      const response = await postQStashDelivery(jobUrl(), spaced, signature);
      expect(response.status).toBe(200);
      expect(newMails()).toMatchObject([{ to: "grace@example.com" }]);
    });

    it("refuses a delivery without Upstash-Signature: 401, nothing run", async () => {
      await expectRefused(await postQStashDelivery(jobUrl(), body));
    });

    it("refuses a forged signature (a key QStash does not hold): 401, nothing run", async () => {
      const signature = signDelivery({
        signingKey: "sig_attacker_key",
        url: jobUrl(),
        body: Buffer.from(body),
      });
      await expectRefused(await postQStashDelivery(jobUrl(), body, signature));
    });

    it("refuses a genuine signature sent with another body: 401, nothing run", async () => {
      const signature = signDelivery({
        signingKey: platforms.qstash.currentSigningKey,
        url: jobUrl(),
        body: Buffer.from(body),
      });
      const other = JSON.stringify({ email: "mallory@example.com" });
      await expectRefused(await postQStashDelivery(jobUrl(), other, signature));
    });
  });

  describe(`${framework.name}: the Inngest route`, () => {
    const otherKey = `signkey-test-${"cd34".repeat(16)}`;

    beforeAll(async () => {
      // Inngest learns the app's functions by calling the route (PUT, signed): the app's sync.
      await platforms.inngest.sync(inngestRoute);
    });

    async function expectRefused(response: Response): Promise<void> {
      expect(response.status).toBe(401);
      expect(newMails()).toEqual([]);
    }

    it("syncs the app through the route (Inngest's signed PUT): the job's function is registered", () => {
      expect(platforms.inngest.functions().map((fn) => fn.slug)).toContain(`${EXAMPLE_APP_ID}-welcome.send`);
    });

    it("answers Inngest's signed inspection (GET) through the route, and refuses an unsigned one", async () => {
      const signature = signRequestBody("", platforms.inngest.signingKey);
      const signed = await fetch(inngestRoute, { headers: { "x-inngest-signature": signature } });
      expect(signed.status).toBe(200);
      expect(await signed.json()).toMatchObject({ function_count: 1, mode: "cloud" });
      expect((await fetch(inngestRoute)).status).toBe(401);
    });

    it("runs a job Inngest calls, signed with the signing key: run once", async () => {
      const { id } = await producer.inngest.enqueue(producer.sendWelcome, { email: "alan@example.com" });
      await waitFor(() => newMails().length > 0, { message: "the welcome mail" });
      await platforms.inngest.waitForIdle();
      expect(newMails()).toEqual([{ to: "alan@example.com", subject: "Welcome!", jobId: id }]);
    });

    it("runs a call the test signs with the signing key (the recipe the forgeries below change)", async () => {
      const runId = ulidLike();
      const body = inngestExecutionBody("edsger@example.com", runId);
      const signature = signRequestBody(body, platforms.inngest.signingKey);
      const response = await postInngestCall(inngestRoute, body, runId, signature);
      expect(response.status).toBe(200);
      expect(newMails()).toMatchObject([{ to: "edsger@example.com" }]);
    });

    it("refuses a call without X-Inngest-Signature: 401, nothing run", async () => {
      const runId = ulidLike();
      await expectRefused(
        await postInngestCall(inngestRoute, inngestExecutionBody("x@example.com", runId), runId),
      );
    });

    it("refuses a call signed with another key: 401, nothing run", async () => {
      const runId = ulidLike();
      const body = inngestExecutionBody("x@example.com", runId);
      await expectRefused(await postInngestCall(inngestRoute, body, runId, signRequestBody(body, otherKey)));
    });

    it("refuses a genuine signature sent with another body: 401, nothing run", async () => {
      const runId = ulidLike();
      const body = inngestExecutionBody("x@example.com", runId);
      const signature = signRequestBody(body, platforms.inngest.signingKey);
      const tampered = body.replace("x@example.com", "mallory@example.com");
      await expectRefused(await postInngestCall(inngestRoute, tampered, runId, signature));
    });
  });
}
