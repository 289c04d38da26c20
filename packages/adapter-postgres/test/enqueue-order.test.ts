import { defineJob } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const schemas = useFreshSchemas();
const numberPayload = z.object({ n: z.number() });

// graphile-worker fetches by (priority, run_at) and nothing else: jobs that share both come in whatever
// order the plan reads them (heap order, which stops following insertion order once the space of
// deleted jobs is reused). So the jobs of one batch must not share a run_at.
describe("enqueueMany keeps the batch's order (FIFO within a priority)", () => {
  it("jobs due now are dated one microsecond apart in batch order, the last one at the enqueue", async () => {
    const job = defineJob({ name: "fifo", schema: numberPayload, handler: () => {} });
    const { client, schema } = await schemas.client([job]);
    const ids = (
      await client.enqueueMany(
        job,
        Array.from({ length: 50 }, (_, n) => ({ n })),
      )
    ).map((result) => result.id);
    const { rows } = await schemas.db.query<{ id: string; due: boolean }>(
      `select id::text as id, run_at <= now() as due from "${schema}"._private_jobs order by run_at, _private_jobs.id`,
    );
    expect(rows.map((row) => row.id)).toEqual(ids);
    expect(rows.every((row) => row.due)).toBe(true);
    const { rows: distinct } = await schemas.db.query(
      `select count(distinct run_at)::int as n from "${schema}"._private_jobs`,
    );
    expect(distinct[0].n).toBe(50);
  });

  it("delayed jobs of a batch are due in batch order, none before the time asked", async () => {
    const job = defineJob({ name: "fifo-later", schema: numberPayload, handler: () => {} });
    const { client, schema } = await schemas.client([job]);
    const runAt = new Date(Date.now() + 3_600_000);
    const ids = (
      await client.enqueueMany(
        job,
        Array.from({ length: 20 }, (_, n) => ({ n })),
        { runAt },
      )
    ).map((result) => result.id);
    const { rows } = await schemas.db.query<{ id: string; early: boolean }>(
      `select id::text as id, run_at < $1::timestamptz as early from "${schema}"._private_jobs order by run_at, _private_jobs.id`,
      [runAt.toISOString()],
    );
    expect(rows.map((row) => row.id)).toEqual(ids);
    expect(rows.some((row) => row.early)).toBe(false);
    const { rows: distinct } = await schemas.db.query(
      `select count(distinct run_at)::int as n from "${schema}"._private_jobs`,
    );
    expect(distinct[0].n).toBe(20);
  });
});
