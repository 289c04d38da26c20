// The Redis lists and sorted sets a listing of one state reads, per job (each job is its own BullMQ
// queue), each read in its own newest-first order from where the previous page stopped.
import type { JobSnapshot, JobState } from "@switchyard/core";
import type { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Cancellations } from "./cancellations.js";
import { cancelledIndexKey } from "./cancelled-index.js";
import { isCancelledJob, toJobSnapshot } from "./job-snapshot.js";
import { MAX_REMEMBERED_IDS, type StreamAnchor } from "./list-cursor.js";

/** One job of a stream: its snapshot, the key pages are merged on (ms, larger is newer), and where it is. */
export interface StreamEntry {
  key: number;
  snapshot: JobSnapshot;
  anchor: StreamAnchor;
}

export interface JobStream {
  /** Names the stream in a cursor: `<job>|<key type>`. */
  readonly id: string;
  /** Up to `count` entries after `anchor` (from the start without one); `more` when others may follow. */
  read(anchor: StreamAnchor | undefined, count: number): Promise<{ entries: StreamEntry[]; more: boolean }>;
}

/** BullMQ scores a delayed job by its due time in ms times 0x1000, plus a counter. */
const DELAYED_SCORE_FACTOR = 0x1000;

/** What a stream turns a job into, or undefined to pass over it (gone, or not of the state). */
type Load = (id: string, score: number) => Promise<Omit<StreamEntry, "anchor"> | undefined>;

export function streamsOf(
  state: JobState,
  queue: Queue,
  context: { redis: Redis; prefix: string; cancellations: Cancellations },
): JobStream[] {
  const { redis } = context;
  const name = queue.name;
  const loadAs =
    (
      bullmqState: "waiting" | "active" | "delayed" | "completed" | "failed",
      key: (job: Job, score: number) => number,
    ): Load =>
    async (id, score) => {
      const job = await queue.getJob(id);
      if (!job || (bullmqState === "failed" && isCancelledJob(job))) return undefined;
      return { key: key(job, score), snapshot: toJobSnapshot(name, job, bullmqState) };
    };
  const created = (job: Job) => job.timestamp;
  const scored = (_job: Job, score: number) => score;
  switch (state) {
    case "waiting":
      return [
        listStream(redis, name, "wait", queue.keys.wait!, loadAs("waiting", created)),
        sortedSetStream(redis, name, "prioritized", queue.keys.prioritized!, loadAs("waiting", created)),
      ];
    case "active":
      return [
        listStream(
          redis,
          name,
          "active",
          queue.keys.active!,
          loadAs("active", (job) => job.processedOn ?? job.timestamp),
        ),
      ];
    case "delayed":
      return [
        sortedSetStream(
          redis,
          name,
          "delayed",
          queue.keys.delayed!,
          loadAs("delayed", (_job, score) => Math.floor(score / DELAYED_SCORE_FACTOR)),
        ),
      ];
    case "completed":
      return [sortedSetStream(redis, name, "completed", queue.keys.completed!, loadAs("completed", scored))];
    case "failed":
      return [sortedSetStream(redis, name, "failed", queue.keys.failed!, loadAs("failed", scored))];
    case "cancelled":
      return [
        // Cancelled before it ran: removed from BullMQ, its record kept.
        sortedSetStream(
          redis,
          name,
          "cancelled",
          cancelledIndexKey(context.prefix, name, false),
          async (id, score) => {
            const record = await context.cancellations.record({ queue: name, jobId: id });
            return record && { key: score, snapshot: record };
          },
        ),
        // Cancelled while it ran: cancelled once BullMQ failed it (until then it runs, or it completed).
        sortedSetStream(
          redis,
          name,
          "cancelled-running",
          cancelledIndexKey(context.prefix, name, true),
          async (id, score) => {
            const job = await queue.getJob(id);
            return job && isCancelledJob(job)
              ? { key: score, snapshot: toJobSnapshot(name, job, "failed") }
              : undefined;
          },
        ),
      ];
  }
}

/**
 * A sorted set read from the highest score down (ties: member from last to first, as Redis orders
 * them); a page continues below the last (score, member) listed, whatever left the set meanwhile.
 */
function sortedSetStream(redis: Redis, queue: string, type: string, key: string, load: Load): JobStream {
  return {
    id: `${queue}|${type}`,
    async read(anchor, count) {
      const after = anchor && "s" in anchor ? anchor : undefined;
      const entries: StreamEntry[] = [];
      const batch = count + 1;
      for (let offset = 0; ; offset += batch) {
        const raw = await redis.zrevrangebyscore(
          key,
          after ? String(after.s) : "+inf",
          "-inf",
          "WITHSCORES",
          "LIMIT",
          offset,
          batch,
        );
        const members: Array<{ id: string; score: number }> = [];
        for (let i = 0; i < raw.length; i += 2) {
          const id = raw[i]!;
          const score = Number(raw[i + 1]);
          // Same score as the anchor: the members from the anchor's up were listed already.
          if (!after || score < after.s || id < after.m) members.push({ id, score });
        }
        const loaded = await Promise.all(members.map(({ id, score }) => load(id, score)));
        for (const [index, entry] of loaded.entries()) {
          if (!entry) continue;
          const { id, score } = members[index]!;
          entries.push({ ...entry, anchor: { s: score, m: id } });
          if (entries.length > count) return { entries: entries.slice(0, count), more: true };
        }
        if (raw.length < 2 * batch) return { entries, more: false };
      }
    },
  };
}

/**
 * A Redis list read from its head (BullMQ pushes new jobs there and takes the oldest from the tail).
 * A page continues after the last job listed, found again by LPOS; when it has left the list, after
 * the latest of the ids listed before it that is still there. When all of them have left (taken by
 * workers, which take the oldest first, so the jobs after them left too), the listing ends.
 */
function listStream(redis: Redis, queue: string, type: string, key: string, load: Load): JobStream {
  return {
    id: `${queue}|${type}`,
    async read(anchor, count) {
      const remembered = anchor && "r" in anchor ? anchor.r : [];
      let start = 0;
      if (remembered.length > 0) {
        const positions = await Promise.all(remembered.map((id) => redis.lpos(key, id)));
        const found = positions.find((position) => position !== null);
        if (found === undefined || found === null) return { entries: [], more: false };
        start = found + 1;
      }
      const listed = new Set(remembered);
      let recent = remembered;
      const entries: StreamEntry[] = [];
      const batch = count + 1;
      for (; ; start += batch) {
        const ids = await redis.lrange(key, start, start + batch - 1);
        // BullMQ 5 left "0:<delay>" markers in the wait list.
        const fresh = ids.filter((id) => !listed.has(id) && !id.startsWith("0:"));
        const loaded = await Promise.all(fresh.map((id) => load(id, 0)));
        for (const [index, entry] of loaded.entries()) {
          if (!entry) continue;
          recent = [fresh[index]!, ...recent].slice(0, MAX_REMEMBERED_IDS);
          entries.push({ ...entry, anchor: { r: recent } });
          if (entries.length > count) return { entries: entries.slice(0, count), more: true };
        }
        if (ids.length < batch) return { entries, more: false };
      }
    },
  };
}
