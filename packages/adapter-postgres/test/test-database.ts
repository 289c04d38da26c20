import { randomBytes } from "node:crypto";
import pg from "pg";
import { assertReachable, databaseUrl } from "./database-url.js";

/**
 * A throwaway database on the server of `DATABASE_URL`, for the test files other than the conformance
 * suite. graphile-worker announces schema migrations on a channel shared by the whole database, and its
 * workers shut down on a breaking one: a database per test file keeps files that run in parallel apart
 * (notifications do not cross databases).
 */
export async function createTestDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = databaseUrl();
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
