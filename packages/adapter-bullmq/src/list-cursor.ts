import { ConfigError, type JobState } from "@switchyard/core";

/**
 * Where one stream of a listing (one Redis list or sorted set of one job's queue) stopped:
 * - a sorted set: the score and member of the last job listed (`s`, `m`), a keyset position;
 * - a list: the ids of the last jobs listed, the last one first (`r`), found again by LPOS.
 */
export type StreamAnchor = { s: number; m: string } | { r: string[] };

/**
 * The cursor of a `list()` page: the state and job it lists, and where each stream stopped (on
 * PostgreSQL, one stream: the position of the last job listed, postgres-job-listing.ts).
 */
export interface ListCursor<Anchor = StreamAnchor> {
  state: JobState;
  job: string | null;
  anchors: Record<string, Anchor>;
}

const VERSION = 1;

/**
 * How many ids a list anchor remembers: the next page starts after the first of them still listed.
 * Each costs an LPOS, so a cursor with more is refused.
 */
export const MAX_REMEMBERED_IDS = 8;

export function encodeListCursor<Anchor>(cursor: ListCursor<Anchor>): string {
  const { state, job, anchors } = cursor;
  return Buffer.from(JSON.stringify({ v: VERSION, state, job, anchors })).toString("base64url");
}

/**
 * The cursor, checked against the call it is passed to; a ConfigError when it is not one of its pages.
 * `isValid` checks each anchor (default: the Redis streams' anchors).
 */
export function decodeListCursor<Anchor = StreamAnchor>(
  text: string,
  state: JobState,
  job: string | undefined,
  isValid: (anchor: unknown) => boolean = isAnchor,
): ListCursor<Anchor> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const cursor = parsed as (ListCursor<Anchor> & { v: unknown }) | undefined;
  if (
    typeof cursor !== "object" ||
    cursor === null ||
    cursor.v !== VERSION ||
    typeof cursor.anchors !== "object" ||
    cursor.anchors === null ||
    !Object.values(cursor.anchors).every(isValid)
  ) {
    throw new ConfigError(`list(): cursor "${text}" is not a cursor of the bullmq backend`);
  }
  if (cursor.state !== state || cursor.job !== (job ?? null)) {
    throw new ConfigError(
      `list(): the cursor is of a listing of ${cursor.state} jobs${cursor.job ? ` of ${cursor.job}` : ""}, not of this one`,
    );
  }
  return { state, job: cursor.job, anchors: cursor.anchors };
}

function isAnchor(value: unknown): value is StreamAnchor {
  const anchor = value as Record<string, unknown> | null;
  if (typeof anchor !== "object" || anchor === null) return false;
  if ("r" in anchor) {
    const { r } = anchor;
    return Array.isArray(r) && r.length <= MAX_REMEMBERED_IDS && r.every((id) => typeof id === "string");
  }
  return typeof anchor.s === "number" && typeof anchor.m === "string";
}
