const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Milliseconds in an Inngest time string such as `"30s"`, `"1d2h3m4s"` or
 * `"2w"`, the form the SDK writes for sleeps, timeouts and cancel windows
 * (I:helpers/strings.js:55-83). Undefined if the text is not such a string.
 */
export function parseTimeString(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(amount) * (UNIT_MS[unit as string] ?? 0);
  }
  return total;
}

/**
 * When a `Sleep` op ends: its `name` is a time string (`step.sleep`) or an
 * ISO date (`step.sleepUntil`) (I:components/InngestStepTools.js:290-330).
 * Returns the wait in real milliseconds from `nowMs` (never negative), or
 * undefined when the name is neither.
 */
export function sleepDurationMs(name: string, nowMs = Date.now()): number | undefined {
  const asDuration = parseTimeString(name);
  if (asDuration !== undefined) return asDuration;
  const at = Date.parse(name);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
