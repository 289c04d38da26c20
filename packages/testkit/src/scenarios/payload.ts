import { defineJob } from "@switchyard/core";
import { expect } from "vitest";
import { z } from "zod";
import { defineScenario } from "../scenario.js";
import { waitFor } from "../wait-for.js";

const textPayload = z.object({ text: z.string(), nested: z.object({ list: z.array(z.string()) }) });

const UNICODE =
  'héllo wörld · 日本語 · עברית · 👩‍👩‍👧‍👦 · e\u0301 · \u{1F680} · "quotes" \\ backslash \n newline';

function roundTrip(id: string, title: string, text: () => string) {
  return defineScenario({
    id,
    title,
    requires: [],
    timeoutMs: 60_000,
    async run(t) {
      const received: unknown[] = [];
      const job = defineJob({
        name: t.jobName("payload"),
        schema: textPayload,
        handler: (p) => void received.push(p),
      });
      const client = await t.client([job]);
      await t.start(client);
      const payload = { text: text(), nested: { list: [text().slice(0, 50), "∑"] } };
      await client.enqueue(job, payload);
      await waitFor(() => received.length === 1, {
        message: "the handler to receive the payload",
        timeoutMs: 30_000,
      });
      expect(received[0]).toEqual(payload);
    },
  });
}

export const payloadScenarios = [
  roundTrip(
    "payload.unicode",
    "a unicode payload (emoji, RTL, combining marks, escapes) arrives intact",
    () => UNICODE,
  ),
  roundTrip("payload.large", "a 256 KiB payload arrives intact", () => {
    const chunk = "0123456789abcdef—ü";
    return chunk.repeat(Math.ceil((256 * 1024) / chunk.length)).slice(0, 256 * 1024);
  }),
];
