// The completion trigger (adapter-schema.ts) appends one record per completed job: a batch with a plain
// insert, a single job with an upsert. A record already there for an id (graphile-worker's id sequence
// reset by hand) must not fail the completion, whichever way the jobs are deleted. The deletes below are
// graphile-worker 0.17.3's completion statements (completeJobs.js), run on jobs locked as a worker would.
import { defineJob } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const fresh = useFreshSchemas();
const job = defineJob({ name: "recorded", schema: z.object({ n: z.number() }), handler: () => {} });

/** Enqueues `count` jobs, leaves a stale record for the first one's id, and locks them all. */
async function lockedJobsWithStaleRecord(count: number) {
  const { client, schema } = await fresh.client([job]);
  const ids = (
    await client.enqueueMany(
      job,
      Array.from({ length: count }, (_, n) => ({ n })),
    )
  ).map((r) => r.id);
  await fresh.db.query(
    `insert into "${schema}".switchyard_finished (job_id, task_id, attempts, max_attempts, created_at, finished_at)
     values ($1, 0, 1, 1, now() - interval '1 day', now() - interval '1 day')`,
    [ids[0]],
  );
  await fresh.db.query(
    `update "${schema}"._private_jobs set locked_at = now(), locked_by = 'test', attempts = 1`,
  );
  return { client, schema, ids };
}

async function recordedTasks(schema: string, ids: string[]): Promise<number[]> {
  const { rows } = await fresh.db.query(
    `select task_id from "${schema}".switchyard_finished where job_id = any($1::bigint[]) order by job_id`,
    [ids],
  );
  return rows.map((row) => row.task_id);
}

describe("finished records", () => {
  it("a batched completion over an id already recorded completes, keeps that record and records the others", async () => {
    const { client, schema, ids } = await lockedJobsWithStaleRecord(3);
    await fresh.db.query(
      `delete from "${schema}"._private_jobs as jobs using unnest($1::bigint[]) n(n) where id = n`,
      [ids],
    );
    const tasks = await recordedTasks(schema, ids);
    expect(tasks).toHaveLength(3);
    expect(tasks[0]).toBe(0); // the stale record, as it was
    expect(tasks.slice(1).every((task) => task > 0)).toBe(true);
    for (const id of ids.slice(1)) expect((await client.get(id))?.state).toBe("completed");
  });

  it("a job-by-job completion over an id already recorded completes and keeps that record", async () => {
    const { schema, ids } = await lockedJobsWithStaleRecord(1);
    await fresh.db.query(`delete from "${schema}"._private_jobs as jobs where id = $1::bigint`, [ids[0]]);
    expect(await recordedTasks(schema, ids)).toEqual([0]);
    const { rows } = await fresh.db.query(`select count(*)::int as n from "${schema}"._private_jobs`);
    expect(rows[0].n).toBe(0);
  });
});
