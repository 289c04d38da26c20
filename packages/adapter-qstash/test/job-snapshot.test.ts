import { describe, expect, it } from "vitest";
import {
  type DeadLetter,
  type LogRecord,
  toJobSnapshot,
  toJobSnapshotFromDeadLetter,
} from "../src/job-snapshot.js";

// The mapping of QStash's log states onto JobState, on hand-written logs (newest entry first), so that it
// does not depend on how the emulator happens to log.
const url = "https://app.example.com/api/jobs?job=report.build";
const now = 1_700_000_100_000;
const body = Buffer.from('{"n":1}').toString("base64");
const failure = (attempt: number) =>
  Buffer.from(
    JSON.stringify({ switchyard: 1, status: "retry", attempt, error: { message: `boom ${attempt}` } }),
  ).toString("base64");

function log(state: string, time: number, extra: Partial<LogRecord> = {}): LogRecord {
  return { state, time, messageId: "msg_1", url, maxRetries: 2, body, ...extra } as LogRecord;
}

describe("toJobSnapshot", () => {
  it("shows a message before its not-before time as delayed, with its due time", () => {
    const snapshot = toJobSnapshot("msg_1", [log("CREATED", now - 10)], {
      message: { messageId: "msg_1", url, createdAt: now - 10, notBefore: now + 30_000 } as never,
      now,
    });
    expect(snapshot).toMatchObject({
      id: "msg_1",
      name: "report.build",
      state: "delayed",
      attempts: 0,
      maxAttempts: 3,
    });
    expect(snapshot?.runAt?.getTime()).toBe(now + 30_000);
    expect(snapshot?.payload).toEqual({ n: 1 });
  });

  it("shows a message waiting for its retry as delayed, with the last error and the attempts so far", () => {
    const snapshot = toJobSnapshot(
      "msg_1",
      [
        log("RETRY", now - 5, { nextDeliveryTime: now + 2_000 }),
        log("ERROR", now - 5, { responseStatus: 500, responseBody: failure(1) }),
        log("ACTIVE", now - 8),
        log("CREATED", now - 10),
      ],
      { now },
    );
    expect(snapshot).toMatchObject({ state: "delayed", attempts: 1, error: { message: "boom 1" } });
    expect(snapshot?.runAt?.getTime()).toBe(now + 2_000);
  });

  it("counts attempts from ERROR entries when QStash logs no ACTIVE ones", () => {
    const snapshot = toJobSnapshot(
      "msg_1",
      [log("DELIVERED", now), log("RETRY", now - 5), log("ERROR", now - 5), log("CREATED", now - 10)],
      { now },
    );
    expect(snapshot).toMatchObject({ state: "completed", attempts: 2 });
    expect(snapshot?.error).toBeUndefined();
    expect(snapshot?.finishedAt?.getTime()).toBe(now);
  });

  it("shows a waiting message cancelled (CANCEL_REQUESTED until its delivery time) as cancelled at once, never its earlier failure", () => {
    const snapshot = toJobSnapshot(
      "msg_1",
      [
        log("CANCEL_REQUESTED", now),
        log("RETRY", now - 5, { nextDeliveryTime: now + 3_600_000 }),
        log("ERROR", now - 5, { responseStatus: 500, responseBody: failure(1) }),
        log("ACTIVE", now - 8),
        log("CREATED", now - 10),
      ],
      { now },
    );
    expect(snapshot).toMatchObject({
      state: "cancelled",
      error: { message: "job msg_1 was cancelled", code: "SWITCHYARD_JOB_CANCELLED" },
    });
    expect(snapshot?.finishedAt?.getTime()).toBe(now);
    expect(snapshot?.runAt).toBeUndefined();
  });

  it("keeps a message cancelled mid-delivery active until its call ends (QStash does not interrupt it)", () => {
    const snapshot = toJobSnapshot("msg_1", [
      log("CANCEL_REQUESTED", now),
      log("ACTIVE", now - 1),
      log("CREATED", now - 2),
    ]);
    expect(snapshot?.state).toBe("active");
  });

  it("reads a failed job's error from its dead-letter entry, and a self-cancelled job as cancelled", () => {
    const deadLetter = (status: string) =>
      ({
        messageId: "msg_1",
        url,
        createdAt: now - 10,
        dlqId: "1700000100000-0",
        maxRetries: 2,
        responseStatus: 489,
        responseBody: JSON.stringify({
          switchyard: 1,
          status,
          attempt: 2,
          error: { message: "gave up", code: "X" },
        }),
      }) as DeadLetter;
    const entries = [
      log("FAILED", now),
      log("ERROR", now - 1),
      log("ACTIVE", now - 2),
      log("CREATED", now - 3),
    ];
    expect(toJobSnapshot("msg_1", entries, { deadLetter: deadLetter("failed") })).toMatchObject({
      state: "failed",
      attempts: 2,
      error: { message: "gave up", code: "X" },
    });
    expect(toJobSnapshot("msg_1", entries, { deadLetter: deadLetter("cancelled") })?.state).toBe("cancelled");
  });

  it("returns undefined for a message that is not a Switchyard job", () => {
    expect(
      toJobSnapshot("msg_1", [log("CREATED", now, { url: "https://app.example.com/hook" })]),
    ).toBeUndefined();
  });
});

describe("toJobSnapshotFromDeadLetter", () => {
  it("reports a job published again by retry(id) under its Switchyard id", () => {
    const snapshot = toJobSnapshotFromDeadLetter({
      messageId: "msg_copy",
      url: `${url}&retry=msg_original`,
      createdAt: now,
      dlqId: "1700000200000-3",
      maxRetries: 0,
      body: '{"n":4}',
      responseStatus: 500,
    } as DeadLetter);
    expect(snapshot).toMatchObject({
      id: "msg_original",
      name: "report.build",
      state: "failed",
      payload: { n: 4 },
      attempts: 1,
      error: { message: "HTTP 500" },
    });
    expect(snapshot?.finishedAt?.getTime()).toBe(1_700_000_200_000);
  });
});
