// A client with no jobs (the CLI, the dashboard) covers every job of its schema.
import { defineJob, PermanentError } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useFreshSchemas } from "./fresh-schema.js";

const schemas = useFreshSchemas();

const failing = defineJob({
  name: "fails",
  schema: z.object({}),
  retry: { maxAttempts: 1 },
  handler: () => {
    throw new PermanentError("no");
  },
});
const other = defineJob({
  name: "other.app.job",
  schema: z.object({}),
  retry: { maxAttempts: 1 },
  handler: failing.handler,
});

describe("a client with no jobs", () => {
  it("lists the failed jobs of every job of the schema; a client with jobs, only its own", async () => {
    const { client: app, schema } = await schemas.client([failing]);
    const { client: otherApp } = await schemas.client([other], { schema });
    await schemas.start(app);
    await schemas.start(otherApp);
    const { id } = await app.enqueue(failing, {});
    const { id: otherId } = await otherApp.enqueue(other, {});
    await waitFor(
      async () => (await app.get(id))?.state === "failed" && (await app.get(otherId))?.state === "failed",
    );

    const { client: operator } = await schemas.client([], { schema });
    expect((await operator.listFailed()).map((job) => job.id).sort()).toEqual([id, otherId].sort());
    expect((await operator.listFailed({ job: "other.app.job" })).map((job) => job.id)).toEqual([otherId]);
    expect((await app.listFailed()).map((job) => job.id)).toEqual([id]);
  });
});
