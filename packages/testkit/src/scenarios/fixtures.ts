import { expect } from "vitest";
import { z } from "zod";

/** The payload most scenarios use. */
export const numberPayload = z.object({ n: z.number().int() });

/** How late a timed event may be on a shared 2-core machine before a scenario calls it wrong. */
export const LATE_SLACK_MS = 1_500;
/** How early a timed event may be (timer and clock granularity). */
export const EARLY_SLACK_MS = 100;

/** Asserts `actual` lies in [expected - early slack, expected + late slack]. */
export function expectAbout(actual: number, expected: number, what: string): void {
  expect(actual, `${what}: ${actual} ms, expected about ${expected} ms`).toBeGreaterThanOrEqual(
    expected - EARLY_SLACK_MS,
  );
  expect(actual, `${what}: ${actual} ms, expected about ${expected} ms`).toBeLessThanOrEqual(
    expected + LATE_SLACK_MS,
  );
}

/** Asserts that `action` rejects with a Switchyard error of `code` (and returns it for more checks). */
export async function expectCode(
  action: () => unknown,
  code: string,
): Promise<Error & Record<string, unknown>> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an error with code ${code}`).toBeInstanceOf(Error);
  expect((caught as { code?: string }).code).toBe(code);
  return caught as Error & Record<string, unknown>;
}

export const NOT_SUPPORTED = "SWITCHYARD_NOT_SUPPORTED";
