import { describe, expect, it } from "vitest";
import { previousCronTime } from "../src/adapter.js";

describe("previousCronTime()", () => {
  const at = (iso: string) => new Date(iso);

  it("is the last fire time at or before the reference, the reference itself included", () => {
    expect(previousCronTime("0 12 * * *", undefined, at("2026-12-06T12:00:00.000Z"))).toEqual(
      at("2026-12-06T12:00:00.000Z"),
    );
    expect(previousCronTime("0 12 * * *", undefined, at("2026-12-06T11:59:59.999Z"))).toEqual(
      at("2026-12-05T12:00:00.000Z"),
    );
    expect(previousCronTime("*/5 * * * *", "UTC", at("2026-12-06T12:07:30.000Z"))).toEqual(
      at("2026-12-06T12:05:00.000Z"),
    );
    expect(previousCronTime("0 0 1 1 *", "UTC", at("2026-12-06T12:07:30.000Z"))).toEqual(
      at("2026-01-01T00:00:00.000Z"),
    );
  });

  it("reads the cron in the given time zone", () => {
    // 02:00 in Paris is 01:00 UTC in winter.
    expect(previousCronTime("0 2 * * *", "Europe/Paris", at("2026-12-06T12:00:00Z"))).toEqual(
      at("2026-12-06T01:00:00.000Z"),
    );
  });
});
