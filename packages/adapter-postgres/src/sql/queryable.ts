import type pg from "pg";
import { quoteIdentifier } from "../adapter-schema.js";

/** Where a statement runs: the pool, a checked-out client, or the caller's open transaction. */
export type Queryable = Pick<pg.ClientBase, "query">;

/** graphile-worker's schema as it appears in a statement (quoted). */
export function schemaSql(schema: string): string {
  return quoteIdentifier(schema);
}
