import { spawnSync } from "node:child_process";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");
const types = join(import.meta.dirname, "types");

describe("inngest() options under exactOptionalPropertyTypes", () => {
  it("accept process.env values as they are", () => {
    const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", types, "--pretty", "false"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(tsc.error).toBeUndefined();
    // Only this folder's files are judged: core's sources, compiled here too, do not all follow the flag
    // (an app compiles against their .d.ts, where the flag does not apply to implementations).
    const ours = `${relative(root, types)}/`;
    const errors = tsc.stdout.split("\n").filter((line) => line.startsWith(ours));
    expect(errors).toEqual([]);
  });
});
