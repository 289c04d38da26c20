import { type Queryable, schemaSql } from "./queryable.js";

/** The latest graphile-worker migration applied to the schema (0 when none). */
export async function schemaRevision(db: Queryable, schema: string): Promise<number> {
  const { rows } = await db.query<{ id: number | null }>(
    `select max(id) as id from ${schemaSql(schema)}.migrations`,
  );
  return rows[0]?.id ?? 0;
}
