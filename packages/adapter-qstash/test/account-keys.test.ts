import { describe, expect, it } from "vitest";
import { AccountKeys, escapeId, unescapeId } from "../src/account-keys.js";

const QSTASH_ID = /^[A-Za-z0-9._-]+$/;

describe("AccountKeys", () => {
  const keys = new AccountKeys("shop");

  it("escapes any schedule id into QStash's [A-Za-z0-9._-] and back", () => {
    for (const id of [
      "email.send",
      "email.send:1",
      "a_b",
      "a__b",
      "_x3a",
      "rapport 9h ☕",
      "é",
      "a/b?c=d",
      "",
    ]) {
      const scheduleId = keys.scheduleId(id);
      expect(scheduleId).toMatch(QSTASH_ID);
      expect(scheduleId.startsWith("shop.")).toBe(true);
      expect(keys.switchyardScheduleId(scheduleId)).toBe(id);
    }
    expect(escapeId("email.send:1")).toBe("email.send_3a1");
    expect(unescapeId("bad_zz")).toBeUndefined();
  });

  it("ignores schedules of other namespaces", () => {
    expect(keys.switchyardScheduleId("shopping.report")).toBeUndefined();
    expect(new AccountKeys("other").switchyardScheduleId(keys.scheduleId("report"))).toBeUndefined();
  });

  it("scopes deduplication ids per namespace and job, and never uses a colon", () => {
    const id = keys.deduplicationId("welcome.send", "user:42");
    expect(id).toMatch(/^shop\.welcome\.send\.[0-9a-f]{32}$/);
    expect(keys.deduplicationId("welcome.send", "user:42")).toBe(id);
    expect(keys.deduplicationId("welcome.resend", "user:42")).not.toBe(id);
    expect(keys.deduplicationId("welcome.send", "user:43")).not.toBe(id);
    expect(new AccountKeys("blog").deduplicationId("welcome.send", "user:42")).not.toBe(id);
  });

  it("gives each job, and each concurrency key of a job, its own flow-control key", () => {
    expect(keys.flowControlKey("resize")).toBe("shop.resize");
    const a = keys.flowControlKey("resize", "tenant a");
    expect(a).toMatch(/^shop\.resize\.[0-9a-f]{16}$/);
    expect(keys.flowControlKey("resize", "tenant b")).not.toBe(a);
  });
});
