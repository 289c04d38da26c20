/**
 * The two duration syntaxes QStash reads.
 *
 * - Header durations (`Upstash-Delay`, `Upstash-Timeout`, flow-control `period`): `<n><unit>`
 *   groups with units `s m h d`, e.g. `50s`, `10h`, `1d10h30m` (OA Upstash-Delay/Upstash-Timeout
 *   examples; the SDK sends `${n}s` for numbers, Q:363-369). A bare integer is read as seconds
 *   [inferred: the docs always show a unit].
 * - Go durations in `Retry-After`-style response headers: `6m5s`, units `ns us µs ms s m h`
 *   (qstash/features/retry.mdx "Retry-After Headers").
 */

const HEADER_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const GO_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a header duration to milliseconds; undefined when malformed. */
export function parseHeaderDuration(value: string): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  return sumGroups(text, /(\d+(?:\.\d+)?)([smhd])/gy, HEADER_UNITS_MS);
}

/** Parses a Go `time.Duration` string (`1h2m3.5s`, `300ms`) to milliseconds; undefined when malformed. */
export function parseGoDuration(value: string): number | undefined {
  const text = value.trim();
  if (text === "0") return 0;
  return sumGroups(text, /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy, GO_UNITS_MS);
}

function sumGroups(text: string, pattern: RegExp, units: Record<string, number>): number | undefined {
  if (text === "") return undefined;
  let total = 0;
  let consumed = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    total += Number(match[1]) * (units[match[2] as string] as number);
    consumed = pattern.lastIndex;
  }
  return consumed === text.length ? total : undefined;
}
