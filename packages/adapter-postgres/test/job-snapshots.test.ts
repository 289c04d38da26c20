import { defineJob } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const schemas = useFreshSchemas();
const numberPayload = z.object({ n: z.number() });
const CANCELLED = "SWITCHYARD_JOB_CANCELLED";

describe("a cancelled job's snapshot", () => {
  it("carries SWITCHYARD_JOB_CANCELLED when cancelled waiting, delayed, or waiting to retry (not the failure)", async () => {
    let attempts = 0;
    const job = defineJob({
      name: "cancel-me",
      schema: numberPayload,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "30s" } },
      handler: () => {
        attempts++;
        throw Object.assign(new Error("first attempt fails"), { code: "E_FIRST" });
      },
    });
    const { client } = await schemas.client([job]);
    const waiting = await client.enqueue(job, { n: 1 });
    const delayed = await client.enqueue(job, { n: 2 }, { delay: "1h" });
    for (const { id } of [waiting, delayed]) {
      expect(await client.cancel(id)).toBe(true);
      const snapshot = await client.get(id);
      expect(snapshot?.state).toBe("cancelled");
      expect(snapshot?.error?.code).toBe(CANCELLED);
    }
    await schemas.start(client);
    const retrying = await client.enqueue(job, { n: 3 });
    await waitFor(async () => attempts === 1 && (await client.get(retrying.id))?.state === "delayed", {
      message: "the job to wait for its retry",
    });
    expect((await client.get(retrying.id))?.error?.code).toBe("E_FIRST");
    expect(await client.cancel(retrying.id)).toBe(true);
    const snapshot = await client.get(retrying.id);
    expect(snapshot?.state).toBe("cancelled");
    expect(snapshot?.error).toMatchObject({ code: CANCELLED });
  });

  it("of a job whose worker died while its cancellation was pending: cancelled, not its earlier failure", async () => {
    let attempts = 0;
    const job = defineJob({
      name: "cancel-dead",
      schema: numberPayload,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "10ms" } },
      handler: async () => {
        attempts++;
        if (attempts === 1) throw Object.assign(new Error("first attempt fails"), { code: "E_FIRST" });
        await new Promise(() => {}); // the second attempt hangs until its worker is crashed
      },
    });
    const { client } = await schemas.client([job]);
    const worker = (await schemas.start(client)) as Awaited<ReturnType<typeof schemas.start>> & {
      crash(): Promise<void>;
    };
    const { id } = await client.enqueue(job, { n: 1 });
    await waitFor(async () => attempts === 2 && (await client.get(id))?.state === "active", {
      message: "the second attempt",
    });
    await worker.crash();
    expect(await client.cancel(id)).toBe(true);
    // Another worker's maintenance finds the dead pool (stalledAfter 1 s) and ends the job cancelled.
    await schemas.start(client);
    const snapshot = await waitFor(
      async () => {
        const current = await client.get(id);
        return current?.state === "cancelled" && current;
      },
      { message: "the job to end cancelled", timeoutMs: 10_000 },
    );
    expect(snapshot.error).toMatchObject({ code: CANCELLED });
  });
});

describe("listFailed", () => {
  it("lists only the jobs this client knows, not another app's on the same schema", async () => {
    const failing = (name: string) =>
      defineJob({
        name,
        schema: numberPayload,
        retry: { maxAttempts: 1 },
        handler: () => {
          throw new Error(`${name} fails`);
        },
      });
    const mine = failing("mine");
    const theirs = failing("theirs");
    const { client, schema } = await schemas.client([mine]);
    const { client: other } = await schemas.client([theirs], { schema });
    await schemas.start(client);
    await schemas.start(other);
    await client.enqueue(mine, { n: 1 });
    await other.enqueue(theirs, { n: 2 });
    await waitFor(
      async () => {
        const { rows } = await schemas.db.query(
          `select count(*)::int as n from "${schema}"._private_jobs where attempts >= max_attempts and locked_at is null`,
        );
        return rows[0].n === 2;
      },
      { message: "both jobs to fail" },
    );
    expect((await client.listFailed()).map((job) => job.name)).toEqual(["mine"]);
    expect((await other.listFailed()).map((job) => job.name)).toEqual(["theirs"]);
    expect(await client.listFailed({ job: "theirs" })).toEqual([]);
  });
});
