// The adapter's schema version: an older schema is upgraded on first use, a newer one is left alone.
import { ConfigError, createSwitchyard, defineJob, type JobLogger, silentLogger } from "@switchyard/core";
import { waitFor } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ADAPTER_SCHEMA_VERSION, REQUIRED_SCHEMA_VERSION } from "../src/adapter-schema.js";
import { postgres } from "../src/index.js";
import { useFreshSchemas } from "./fresh-schema.js";

const fresh = useFreshSchemas();
const numberPayload = z.object({ n: z.number() });

async function schemaVersion(schema: string): Promise<string> {
  const { rows } = await fresh.db.query(
    `select value from "${schema}".switchyard_meta where key = 'schema_version'`,
  );
  return rows[0].value;
}

async function taskIndexes(schema: string): Promise<number> {
  const { rows } = await fresh.db.query(
    `select count(*)::int as n from pg_indexes where schemaname = $1 and indexname = 'switchyard_finished_task_id'`,
    [schema],
  );
  return rows[0].n;
}

describe("adapter schema versions", () => {
  // The two schema versions 4 that shipped: one without the `started` column (and the statement-level
  // completion trigger), one without add_job_once's p_flags. Both must be brought to the current version.
  it.each(["3", "4"])("upgrades a schema installed at version %s to the current one", async (old) => {
    const ran: number[] = [];
    const job = defineJob({ name: "upgraded", schema: numberPayload, handler: ({ n }) => void ran.push(n) });
    const { schema } = await fresh.client([job]);
    await fresh.db.query(`
      update "${schema}".switchyard_meta set value = '${old}' where key = 'schema_version';
      alter table "${schema}".switchyard_workers drop column started;
      drop function "${schema}".switchyard_add_job_once(text, json, text, timestamptz, int, int, text, bigint, text, text[]);
      drop index "${schema}".switchyard_finished_task_id;`);
    // A new process of the app, on the old schema.
    const { client } = await fresh.client([job], { schema });
    expect(await schemaVersion(schema)).toBe(String(ADAPTER_SCHEMA_VERSION));
    const worker = await fresh.start(client);
    expect(worker.health().status).not.toBe("starting");
    await client.enqueue(job, { n: 1 });
    await client.enqueue(job, { n: 2 }, { idempotencyKey: "once" });
    await waitFor(() => ran.length === 2, { message: "both jobs to run", timeoutMs: 20_000 });
    expect(await taskIndexes(schema)).toBe(1);
  });

  it("leaves a newer schema as it is, with a warning", async () => {
    const job = defineJob({ name: "newer", schema: numberPayload, handler: () => {} });
    const { schema } = await fresh.client([job]);
    const newer = String(ADAPTER_SCHEMA_VERSION + 1);
    // A newer process dropped an object; this older one must not put its own version back.
    await fresh.db.query(`
      update "${schema}".switchyard_meta set value = '${newer}' where key = 'schema_version';
      drop index "${schema}".switchyard_finished_task_id;`);
    const warnings: string[] = [];
    const logger: JobLogger = { ...silentLogger, warn: (message) => void warnings.push(message) };
    const backend = postgres({ connectionString: fresh.url, schema });
    const client = createSwitchyard({ backend, jobs: [job], logger });
    try {
      await client.enqueue(job, { n: 1 });
    } finally {
      await client.close();
    }
    expect(await schemaVersion(schema)).toBe(newer);
    expect(await taskIndexes(schema)).toBe(0);
    expect(warnings.some((message) => message.includes(`version ${newer}, newer than`))).toBe(true);
  });

  // Skipped once the version this code needs is the one it installs: no older version runs then.
  it.skipIf((REQUIRED_SCHEMA_VERSION as number) === ADAPTER_SCHEMA_VERSION)(
    "with migrate: false, runs on an older schema that has what this code needs, and leaves it as it is (skipped when no older version is enough)",
    async () => {
      const ran: number[] = [];
      const job = defineJob({
        name: "required",
        schema: numberPayload,
        handler: ({ n }) => void ran.push(n),
      });
      const { schema } = await fresh.client([job]);
      const required = String(REQUIRED_SCHEMA_VERSION);
      await fresh.db.query(
        `update "${schema}".switchyard_meta set value = '${required}' where key = 'schema_version'`,
      );
      // Not fresh.client(): its backend.migrate() would install the current version.
      const infos: string[] = [];
      const client = createSwitchyard({
        backend: postgres({ connectionString: fresh.url, schema, migrate: false }),
        jobs: [job],
        logger: { ...silentLogger, info: (message: string) => void infos.push(message) },
      });
      try {
        const worker = client.work();
        await worker.ready;
        await client.enqueue(job, { n: 1 });
        await waitFor(() => ran.length === 1, { message: "the job to run", timeoutMs: 20_000 });
        await worker.stop();
      } finally {
        await client.close();
      }
      expect(await schemaVersion(schema)).toBe(required);
      expect(infos.filter((message) => message.includes(`adapter schema version ${required};`))).toHaveLength(
        1,
      );
    },
  );

  it("with migrate: false, refuses an older schema (and a missing one) with a ConfigError, and changes nothing", async () => {
    const job = defineJob({ name: "not-migrated", schema: numberPayload, handler: () => {} });
    const { schema } = await fresh.client([job]);
    const older = String(REQUIRED_SCHEMA_VERSION - 1);
    await fresh.db.query(
      `update "${schema}".switchyard_meta set value = '${older}' where key = 'schema_version'`,
    );
    for (const [name, message] of [
      [
        schema,
        `schema "${schema}" has adapter schema version ${older}, older than the ${REQUIRED_SCHEMA_VERSION} this adapter needs`,
      ],
      [`${schema}_missing`, `schema "${schema}_missing" is not installed`],
    ] as const) {
      const client = createSwitchyard({
        backend: postgres({ connectionString: fresh.url, schema: name, migrate: false }),
        jobs: [job],
        logger: silentLogger,
      });
      try {
        await expect(client.enqueue(job, { n: 1 })).rejects.toThrow(ConfigError);
        await expect(client.counts()).rejects.toThrow(message);
        await expect(client.work().ready).rejects.toThrow(message);
      } finally {
        await client.close();
      }
    }
    expect(await schemaVersion(schema)).toBe(older);
    // backend.migrate() installs whatever `migrate` says: at deploy, for processes that run with it off.
    const backend = postgres({ connectionString: fresh.url, schema, migrate: false });
    try {
      await backend.migrate();
    } finally {
      await backend.close();
    }
    expect(await schemaVersion(schema)).toBe(String(ADAPTER_SCHEMA_VERSION));
  });
});
