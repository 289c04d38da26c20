import { defineJob } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const schemas = useFreshSchemas();

describe("declared schedules belong to the code", () => {
  it("listSchedules tells declared from imperative; the next deploy's sync removes a schedule deleted from defineJob", async () => {
    const schema = z.object({});
    const before = defineJob({
      name: "report",
      schema,
      schedule: { id: "report-hourly", every: "1h" },
      handler: () => {},
    });
    const { client, schema: shared } = await schemas.client([before]);
    await client.schedules.sync();
    await client.schedules.upsert(before, { id: "report-adhoc", every: "2h" });
    expect((await client.schedules.list()).map(({ id, declared }) => ({ id, declared }))).toEqual([
      { id: "report-adhoc", declared: false },
      { id: "report-hourly", declared: true },
    ]);
    // Another app's declared schedule on the same schema is not this client's to remove.
    const foreign = defineJob({
      name: "foreign",
      schema,
      schedule: { id: "foreign-daily", every: "1d" },
      handler: () => {},
    });
    const { client: other } = await schemas.client([foreign], { schema: shared });
    await other.schedules.sync();

    const after = defineJob({ name: "report", schema, handler: () => {} });
    const { client: next } = await schemas.client([after], { schema: shared });
    await next.schedules.sync();
    expect((await next.schedules.list()).map((entry) => entry.id)).toEqual(["foreign-daily", "report-adhoc"]);
  });
});
