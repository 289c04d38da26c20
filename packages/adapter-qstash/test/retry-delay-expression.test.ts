import type { RetryPolicy } from "@switchyard/core";
import { backoffDelay, resolveRetryPolicy } from "@switchyard/core/adapter";
import { compileRetryDelay } from "@switchyard/emulator-qstash";
import { describe, expect, it } from "vitest";
import { retryDelayExpression } from "../src/retry-delay-expression.js";

// QStash evaluates the expression with `retried` = 0 before the first retry; core's backoffDelay counts
// retries from 1. The emulator's evaluator (the documented grammar, no eval) checks they agree.
const policies: Array<[string, RetryPolicy, string]> = [
  ["fixed", { backoff: { type: "fixed", delay: "1s" } }, "1000"],
  ["fixed above its max", { backoff: { type: "fixed", delay: "5s", max: "2s" } }, "2000"],
  ["exponential", { backoff: { type: "exponential", delay: "1s", factor: 2 } }, "1000 * pow(2, retried)"],
  [
    "exponential with a max",
    { backoff: { type: "exponential", delay: "2s", factor: 3, max: "1m" } },
    "min(60000, 2000 * pow(3, retried))",
  ],
  [
    "exponential with a fractional factor",
    { backoff: { type: "exponential", delay: "100ms", factor: 1.5 } },
    "round(100 * pow(1.5, retried))",
  ],
  ["exponential with factor 1", { backoff: { type: "exponential", delay: "750ms", factor: 1 } }, "750"],
];

describe("retryDelayExpression", () => {
  for (const [what, retry, expected] of policies) {
    it(`turns ${what} backoff into ${expected}, which QStash evaluates to core's delays`, () => {
      const policy = resolveRetryPolicy(retry, "test");
      const expression = retryDelayExpression(policy);
      expect(expression).toBe(expected);
      const evaluate = compileRetryDelay(expression);
      for (let retried = 0; retried < 8; retried++) {
        expect(evaluate(retried)).toBe(backoffDelay(policy, retried + 1, () => 0));
      }
    });
  }
});
