import { defineJob } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const schemas = useFreshSchemas();

describe("results of attempts that end together", () => {
  it("are stored in shared statements, each job with its own result", async () => {
    const job = defineJob({
      name: "with-result",
      schema: z.object({ n: z.number() }),
      handler: async ({ n }) => ({ n, square: n * n }),
    });
    const { client, schema } = await schemas.client([job]);
    const ids = (
      await client.enqueueMany(
        job,
        Array.from({ length: 200 }, (_, n) => ({ n })),
      )
    ).map((result) => result.id);
    await schemas.start(client, 24);
    await waitFor(
      async () => {
        const { rows } = await schemas.db.query(`select count(*)::int as n from "${schema}"._private_jobs`);
        return rows[0].n === 0;
      },
      { message: "every job to complete", timeoutMs: 30_000 },
    );
    const snapshots = await Promise.all(ids.map((id) => client.get(id)));
    expect(snapshots.map((snapshot) => snapshot?.state)).toEqual(ids.map(() => "completed"));
    expect(snapshots.map((snapshot) => snapshot?.result)).toEqual(ids.map((_, n) => ({ n, square: n * n })));
  });
});
