import { join } from "node:path";
import { typeErrorsIn } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";

describe("qstash() options under exactOptionalPropertyTypes", () => {
  it("accept process.env values as they are", () => {
    expect(typeErrorsIn(join(import.meta.dirname, "types"))).toEqual([]);
  });
});
