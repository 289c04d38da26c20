import pg from "pg";

/** `DATABASE_URL`, or the machine's local server (trust auth, database `test`). */
export function databaseUrl(): string {
  return process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

export const START_HINT =
  "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start " +
  "(and create the database once: createdb -h 127.0.0.1 -U postgres test), or set DATABASE_URL";

/** Fails with how to start PostgreSQL when it cannot be reached: the tests need a real server, they do not skip. */
export async function assertReachable(url: string = databaseUrl()): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${url} (${(error as Error).message}); ${START_HINT}`);
  } finally {
    await client.end().catch(() => {});
  }
}
