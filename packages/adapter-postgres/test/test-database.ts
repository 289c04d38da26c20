import { randomBytes } from "node:crypto";
import pg from "pg";
import { assertReachable, databaseUrl } from "./database-url.js";

/**
 * A throwaway database on the server of `adminUrl` (default `DATABASE_URL`), for each test file and each
 * conformance run. graphile-worker announces schema migrations on a channel shared by the whole
 * database, and its workers shut down on a breaking one: a database each keeps test files and runs that
 * go on at the same time apart (notifications do not cross databases). `drop()` ends what is still
 * connected to it.
 */
export async function createTestDatabase(
  label: string,
  adminUrl: string = databaseUrl(),
): Promise<{ url: string; drop(): Promise<void> }> {
  await assertReachable(adminUrl);
  const name = `sy_${label}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
