import { type Queryable, schemaSql } from "./queryable.js";

/** The names of every job graphile-worker knows in the schema (its tasks): an operator client's scope. */
export async function taskNames(db: Queryable, schema: string): Promise<string[]> {
  const { rows } = await db.query<{ identifier: string }>(
    `select identifier from ${schemaSql(schema)}._private_tasks order by identifier`,
  );
  return rows.map((row) => row.identifier);
}
