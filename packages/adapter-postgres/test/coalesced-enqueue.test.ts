import { defineJob } from "@switchyard/core";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const schemas = useFreshSchemas();
const job = defineJob({ name: "coalesced", schema: z.object({ n: z.number() }), handler: () => {} });
const CALLERS = 100;

/** A pool that counts the connections enqueues check out (one per statement sent outside `pool.query`). */
function countingPool(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on("error", () => {});
  let checkouts = 0;
  const connect = pool.connect.bind(pool);
  pool.connect = ((...args: unknown[]) => {
    checkouts++;
    return (connect as (...a: unknown[]) => unknown)(...args);
  }) as typeof pool.connect;
  return { pool, checkouts: () => checkouts };
}

describe("concurrent single enqueues are merged into bulk writes", () => {
  it(`${CALLERS} concurrent enqueue() calls: each gets its own job, in far fewer statements`, async () => {
    const { pool, checkouts } = countingPool(schemas.url);
    try {
      const { client, schema } = await schemas.client([job], { pool, connectionString: undefined });
      const before = checkouts();
      const results = await Promise.all(
        Array.from({ length: CALLERS }, (_, n) => client.enqueue(job, { n })),
      );
      const statements = checkouts() - before;
      expect(new Set(results.map((result) => result.id)).size).toBe(CALLERS);
      expect(statements).toBeLessThanOrEqual(CALLERS / 10);
      // Each id is the job of its own call.
      const { rows } = await schemas.db.query<{ id: string; n: number }>(
        `select id::text as id, (payload->>'n')::int as n from "${schema}"._private_jobs`,
      );
      const byId = new Map(rows.map((row) => [row.id, row.n]));
      expect(results.map((result) => byId.get(result.id))).toEqual(results.map((_, n) => n));
      // A lone enqueue still goes alone, and resolves with its stored job.
      const lone = await client.enqueue(job, { n: -1 });
      expect((await client.get(lone.id))?.payload).toEqual({ n: -1 });
    } finally {
      await pool.end();
    }
  });

  it("a failed bulk write rejects exactly the enqueues it held; the others are stored", async () => {
    const { client, schema } = await schemas.client([job]);
    // A job whose payload says n = 37 cannot be stored: the statement that holds it fails whole.
    await schemas.db.query(`
      create function "${schema}".refuse_37() returns trigger language plpgsql as $$
      begin
        if (new.payload->>'n')::int = 37 then raise exception 'job 37 refused'; end if;
        return new;
      end $$;
      create trigger refuse_37 before insert on "${schema}"._private_jobs
        for each row execute function "${schema}".refuse_37();`);
    // Callers arrive over several turns of the event loop, so their enqueues go in several writes.
    const calls: Array<Promise<{ n: number; id?: string; error?: unknown }>> = [];
    for (let n = 0; n < CALLERS; n++) {
      if (n % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      calls.push(
        client.enqueue(job, { n }).then(
          (result) => ({ n, id: result.id }),
          (error: unknown) => ({ n, error }),
        ),
      );
    }
    const outcomes = await Promise.all(calls);
    const failed = outcomes.filter((outcome) => outcome.error !== undefined);
    const stored = outcomes.filter((outcome) => outcome.id !== undefined);
    expect(failed.map((outcome) => outcome.n)).toContain(37);
    expect(stored.length).toBeGreaterThan(0);
    // One write failed: its enqueues share its one error.
    expect(new Set(failed.map((outcome) => outcome.error)).size).toBe(1);
    expect(String(failed[0]!.error)).toMatch(/job 37 refused/);
    const { rows } = await schemas.db.query<{ n: number }>(
      `select (payload->>'n')::int as n from "${schema}"._private_jobs order by 1`,
    );
    expect(rows.map((row) => row.n)).toEqual(stored.map((outcome) => outcome.n));
  });
});
