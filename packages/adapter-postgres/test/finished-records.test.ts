// The completion trigger (adapter-schema.ts) appends one record per completed job with a plain insert; a
// record already there for the id (graphile-worker's id sequence reset by hand) must not fail completion.
import { defineJob } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const fresh = useFreshSchemas();
const numberPayload = z.object({ n: z.number() });

describe("finished records", () => {
  it("completes a job whose id already has a record, and records the jobs completed with it", async () => {
    const job = defineJob({ name: "recorded", schema: numberPayload, handler: () => {} });
    const { client, schema } = await fresh.client([job]);
    const stale = await client.enqueue(job, { n: 1 });
    const others = await client.enqueueMany(job, [{ n: 2 }, { n: 3 }]);
    // A stale record for the first job's id, left by an earlier job of the same id.
    await fresh.db.query(
      `insert into "${schema}".switchyard_finished (job_id, task_id, attempts, max_attempts, created_at, finished_at)
       values ($1, 0, 1, 1, now() - interval '1 day', now() - interval '1 day')`,
      [stale.id],
    );
    await fresh.start(client);
    await waitFor(
      async () => {
        const { rows } = await fresh.db.query(`select count(*)::int as n from "${schema}"._private_jobs`);
        return rows[0].n === 0;
      },
      { message: "all three jobs to complete", timeoutMs: 20_000 },
    );
    for (const { id } of others) expect((await client.get(id))?.state).toBe("completed");
    const { rows } = await fresh.db.query(
      `select attempts from "${schema}".switchyard_finished where job_id = $1`,
      [stale.id],
    );
    expect(rows).toEqual([{ attempts: 1 }]);
  });
});
