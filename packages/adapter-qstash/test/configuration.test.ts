import { createSwitchyard, defineJob, silentLogger } from "@switchyard/core";
import { startQStashEmulator } from "@switchyard/emulator-qstash";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fromEnv, qstash, qstashCapabilities } from "../src/index.js";

const env = {
  QSTASH_TOKEN: "token",
  QSTASH_CURRENT_SIGNING_KEY: "sig_current",
  QSTASH_NEXT_SIGNING_KEY: "sig_next",
  SWITCHYARD_PUBLIC_URL: "https://app.example.com/api/jobs",
};

const base = {
  token: "token",
  currentSigningKey: "sig_current",
  nextSigningKey: "sig_next",
  url: "https://app.example.com/api/jobs",
};

describe("fromEnv", () => {
  it("builds a qstash backend from QSTASH_* and SWITCHYARD_PUBLIC_URL", () => {
    const backend = fromEnv({
      ...env,
      QSTASH_URL: "http://127.0.0.1:8080",
      SWITCHYARD_QSTASH_NAMESPACE: "shop",
    });
    expect(backend.capabilities).toBe(qstashCapabilities);
    expect(typeof backend.handler).toBe("function");
    expect(backend.work).toBeUndefined();
  });

  it("publishes with QSTASH_URL and QSTASH_TOKEN, to SWITCHYARD_PUBLIC_URL, under SWITCHYARD_QSTASH_NAMESPACE", async () => {
    const emulator = await startQStashEmulator();
    try {
      const job = defineJob({ name: "env.check", schema: z.object({}), handler: () => {} });
      const jobs = createSwitchyard({
        backend: fromEnv({
          ...env,
          QSTASH_TOKEN: emulator.token,
          QSTASH_URL: emulator.url,
          SWITCHYARD_QSTASH_NAMESPACE: "shop",
        }),
        jobs: [job],
        logger: silentLogger,
      });
      const { id } = await jobs.enqueue(job, {}, { delay: "1h" });
      expect(emulator.getMessage(id)).toMatchObject({
        url: `${env.SWITCHYARD_PUBLIC_URL}?job=env.check`,
        labels: ["shop", "shop.env.check"],
      });
      await jobs.close();
    } finally {
      await emulator.close();
    }
  });

  it("names every missing variable in one ConfigError", () => {
    expect(() => fromEnv({ QSTASH_TOKEN: "token", SWITCHYARD_PUBLIC_URL: " " })).toThrow(
      expect.objectContaining({
        code: "SWITCHYARD_CONFIG",
        message: expect.stringContaining(
          "QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY, SWITCHYARD_PUBLIC_URL",
        ),
      }),
    );
  });
});

describe("qstash() options", () => {
  it("requires the token, both signing keys and the handler URL", () => {
    expect(() => qstash({ ...base, nextSigningKey: "" })).toThrow(/nextSigningKey required/);
    expect(() => qstash({ ...base, url: undefined as unknown as string })).toThrow(/url required/);
  });

  it("accepts undefined for every option, and names each required one left out with its variable", () => {
    expect(() =>
      qstash({ token: undefined, currentSigningKey: "k", nextSigningKey: undefined, url: base.url }),
    ).toThrow(
      expect.objectContaining({
        code: "SWITCHYARD_CONFIG",
        message: "qstash(): token, nextSigningKey required (QSTASH_TOKEN, QSTASH_NEXT_SIGNING_KEY)",
      }),
    );
    const backend = qstash({ ...base, baseUrl: undefined, namespace: undefined, retry: undefined });
    expect(backend.capabilities).toBe(qstashCapabilities);
  });

  it("refuses an unknown option and options of the wrong kind, naming the option", () => {
    const wrong = (options: object) => () => qstash({ ...base, ...options } as never);
    expect(wrong({ baseURL: "http://x" })).toThrow(/unknown option "baseURL"/);
    expect(wrong({ baseUrl: "qstash.local" })).toThrow(/baseUrl must be an absolute http\(s\) URL/);
    expect(wrong({ token: 42 })).toThrow(/token must be a string, got 42/);
    expect(wrong({ clockToleranceSeconds: -1 })).toThrow(/clockToleranceSeconds must be a non-negative/);
    expect(wrong({ maxMessageBytes: 0 })).toThrow(/maxMessageBytes must be a positive whole number, got 0/);
    expect(wrong({ maxDelayMs: "7d" })).toThrow(/maxDelayMs must be a positive whole number, got "7d"/);
    expect(wrong({ retry: { retries: 1.5 } })).toThrow(/retry.retries must be an integer from 0 to 100/);
    expect(wrong({ retry: { backoff: 100 } })).toThrow(/retry.backoff must be a function/);
    expect(wrong({ retry: { retry: 3 } })).toThrow(/retry: unknown option "retry"/);
    expect(() => qstash(undefined as never)).toThrow(/options are required/);
  });

  it("refuses a relative URL and one that already has the job or retry parameter", () => {
    expect(() => qstash({ ...base, url: "/api/jobs" })).toThrow(/absolute public URL/);
    expect(() => qstash({ ...base, url: "https://app.example.com/api/jobs?job=x" })).toThrow(/"job"/);
    expect(() => qstash({ ...base, url: "https://app.example.com/api/jobs?retry=1" })).toThrow(/"retry"/);
  });

  it("refuses a namespace QStash ids cannot carry", () => {
    expect(() => qstash({ ...base, namespace: "my.app" })).toThrow(/namespace/);
    expect(() => qstash({ ...base, namespace: "my-app_2" })).not.toThrow();
  });

  it("declares QStash's fixed 10-minute deduplication window", () => {
    expect(qstashCapabilities.idempotency).toEqual({
      window: "fixed",
      fixedWindowMs: 600_000,
      clearedOnFailure: false,
    });
    expect(qstashCapabilities.features["idempotency.ttl"]).toBe("unsupported");
  });
});
