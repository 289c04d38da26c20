import { ConfigError, defineJob, PermanentError } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const schemas = useFreshSchemas();
const numberPayload = z.object({ n: z.number() });

function failing(name: string) {
  return defineJob({
    name,
    schema: numberPayload,
    retry: { maxAttempts: 1 },
    handler: () => {
      throw new Error("down");
    },
  });
}

describe("postgres counts() and list()", () => {
  it("pages continue below the last id listed when jobs of a page leave the state between pages", async () => {
    const job = failing("keyset");
    const { client } = await schemas.client([job]);
    const ids: string[] = [];
    for (let n = 0; n < 10; n++) ids.push((await client.enqueue(job, { n })).id);
    const newestFirst = [...ids].reverse();
    const first = await client.list({ state: "waiting", limit: 4 });
    expect(first.jobs.map((snapshot) => snapshot.id)).toEqual(newestFirst.slice(0, 4));
    // The page's last two jobs and the next one leave the state.
    for (const id of [...newestFirst.slice(2, 4), newestFirst[4]!])
      expect(await client.cancel(id)).toBe(true);
    const second = await client.list({ state: "waiting", limit: 4, cursor: first.cursor });
    expect(second.jobs.map((snapshot) => snapshot.id)).toEqual(newestFirst.slice(5, 9));
    const last = await client.list({ state: "waiting", limit: 4, cursor: second.cursor });
    expect(last).toMatchObject({ jobs: [{ id: newestFirst[9] }], cursor: undefined });
    const cancelled = await client.list({ state: "cancelled" });
    expect(cancelled.jobs.map((snapshot) => snapshot.id)).toEqual([
      newestFirst[2],
      newestFirst[3],
      newestFirst[4],
    ]);
    await expect(client.list({ state: "waiting", cursor: "12 or 1=1" })).rejects.toThrow(ConfigError);
    // A cursor past PostgreSQL's bigint is not a cursor either (not an out-of-range error of the server).
    await expect(client.list({ state: "waiting", cursor: "9223372036854775808" })).rejects.toThrow(
      ConfigError,
    );
    expect(await client.list({ state: "waiting", cursor: "9223372036854775807", limit: 1 })).toMatchObject({
      jobs: [{ id: newestFirst[0] }],
    });
  });

  it("without a job, covers the client's own jobs, not those of another app on the schema; with one, any job", async () => {
    const mine = failing("mine");
    const theirs = failing("theirs");
    const { client, schema } = await schemas.client([mine]);
    const { client: other } = await schemas.client([theirs], { schema });
    await client.enqueue(mine, { n: 1 });
    await other.enqueue(theirs, { n: 1 });
    await other.enqueue(theirs, { n: 2 }, { delay: "1h" });
    expect(await client.counts()).toMatchObject({ waiting: 1, delayed: 0 });
    expect(await client.counts({ job: "theirs" })).toMatchObject({ waiting: 1, delayed: 1 });
    expect((await client.list({ state: "waiting" })).jobs.map((snapshot) => snapshot.name)).toEqual(["mine"]);
    expect((await client.list({ state: "delayed", job: "theirs" })).jobs).toHaveLength(1);
  });

  it("counts a job cancelled while it ran as cancelled, and retryFailed runs a permanently failed job again", async () => {
    let started = false;
    let healthy = false;
    const blocking = defineJob({
      name: "blocking",
      schema: numberPayload,
      handler: async (_payload, ctx) => {
        started = true;
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    const flaky = defineJob({
      name: "flaky",
      schema: numberPayload,
      retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "10ms" } },
      handler: async () => {
        if (!healthy) throw new PermanentError("bad input");
      },
    });
    const { client } = await schemas.client([blocking, flaky]);
    await schemas.start(client);
    const { id } = await client.enqueue(blocking, { n: 1 });
    await waitFor(() => started);
    expect(await client.counts({ job: "blocking" })).toMatchObject({ active: 1 });
    expect(await client.cancel(id)).toBe(true);
    await waitFor(async () => (await client.counts({ job: "blocking" })).cancelled === 1);
    expect(await client.counts({ job: "blocking" })).toMatchObject({ active: 0, completed: 0, failed: 0 });
    expect((await client.list({ state: "cancelled" })).jobs.map((snapshot) => snapshot.id)).toEqual([id]);

    const failed = await client.enqueue(flaky, { n: 1 });
    await waitFor(async () => (await client.counts({ job: "flaky" })).failed === 1);
    healthy = true;
    expect(await client.retryFailed()).toEqual({ retried: [failed.id] });
    await waitFor(async () => (await client.get(failed.id))?.state === "completed");
    expect(await client.counts({ job: "flaky" })).toMatchObject({ failed: 0, completed: 1 });
  });
});
