import { defineJob } from "@switchyard/core";
import { signDelivery } from "@switchyard/emulator-qstash";
import { waitFor } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type EmulatedApp, startEmulatedApp } from "./emulated-app.js";

// What a handler can ask for at run time where QStash has no place for it fails closed, through the
// emulator and the real SDK: never a silent no-op.

const attempts: number[] = [];
const reporting = defineJob({
  name: "import.rows",
  schema: z.object({ rows: z.number() }),
  retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "1s" } },
  handler: async (_payload, ctx) => {
    attempts.push(ctx.attempt);
    await ctx.progress(50);
  },
});

let app: EmulatedApp;
beforeAll(async () => {
  app = await startEmulatedApp({ jobs: [reporting], emulator: { timeScale: 0.01 } });
});
afterAll(() => app?.close());

describe("qstash: run-time features QStash does not keep", () => {
  it("fails a job whose handler calls ctx.progress with SWITCHYARD_NOT_SUPPORTED, at once and for good", async () => {
    const { id } = await app.jobs.enqueue(reporting, { rows: 10 });
    const failed = await waitFor(
      async () => {
        const snapshot = await app.jobs.get(id);
        return snapshot?.state === "failed" && snapshot;
      },
      { message: "the job to fail" },
    );
    expect(failed.error).toMatchObject({ code: "SWITCHYARD_NOT_SUPPORTED" });
    expect(failed.error?.message).toContain("ctx.progress()");
    expect(attempts).toEqual([1]);
  });
});

describe("qstash: a closed client's handler", () => {
  it("answers 503 (QStash retries it later) and runs nothing", async () => {
    const other = await startEmulatedApp({ jobs: [reporting] });
    const handler = other.jobs.handler();
    await other.close();
    const url = `${other.handlerUrl}?job=import.rows`;
    const body = JSON.stringify({ rows: 1 });
    const before = attempts.length;
    const response = await handler(
      new Request(url, {
        method: "POST",
        headers: {
          "upstash-signature": signDelivery({
            signingKey: other.emulator.currentSigningKey,
            url,
            body: Buffer.from(body),
          }),
        },
        body,
      }),
    );
    expect(response.status).toBe(503);
    expect(attempts.length).toBe(before);
  });
});
