// What the list() tests of both BullMQ backends (Redis, PostgreSQL) share: a job that always fails, jobs
// enqueued a few milliseconds apart (so that their order is defined), and every page of a list.
import { defineJob, type Switchyard } from "@switchyard/core";
import { z } from "zod";

export const numberPayload = z.object({ n: z.number() });

/** A job whose every attempt fails, with one attempt. */
export function failing(name: string) {
  return defineJob({
    name,
    schema: numberPayload,
    retry: { maxAttempts: 1 },
    handler: () => {
      throw new Error("down");
    },
  });
}

/** Every page of `state` for `job`, `limit` at a time, with `between(index, ids)` run after each page. */
export async function pages(
  client: Switchyard,
  state: "waiting" | "failed",
  job: string,
  limit: number,
  between: (index: number, ids: string[]) => Promise<void> = async () => {},
): Promise<string[][]> {
  const all: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await client.list({ state, job, limit, cursor });
    all.push(page.jobs.map((snapshot) => snapshot.id));
    await between(all.length - 1, all.at(-1)!);
    cursor = page.cursor;
  } while (cursor && all.length < 20);
  return all;
}

/** `count` jobs of `job`, enqueued 3 ms apart; their ids in enqueue order. */
export async function enqueueApart(client: Switchyard, job: ReturnType<typeof failing>, count: number) {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    ids.push((await client.enqueue(job, { n })).id);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  return ids;
}
