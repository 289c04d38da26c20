import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When a delayed run becomes due, or undefined for "now". A Date or date string is taken as is
 * unless it is not in the future; anything else is a duration like "1h52m18s"
 * (W:apps/webapp/app/utils/delays.ts parseDelay, which uses the same core parser).
 */
export function resolveDelay(value: string | Date | undefined, now: number): Date | undefined {
  if (!value) return undefined;
  if (value instanceof Date) return value.getTime() > now ? value : undefined;
  const asDate = new Date(value);
  if (!Number.isNaN(asDate.getTime())) return asDate.getTime() > now ? asDate : undefined;
  const ms = parseNaturalLanguageDurationInMs(value);
  return ms === undefined ? undefined : new Date(now + ms);
}

/** A run TTL in ms: a number is seconds, a string a duration like "10m" (C:schemas/api.js `ttl`). */
export function resolveTtlMs(ttl: string | number | undefined): number | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl === "number") return ttl > 0 ? ttl * 1000 : undefined;
  const ms = parseNaturalLanguageDurationInMs(ttl);
  return ms && ms > 0 ? ms : undefined;
}

/**
 * When an idempotency key stops deduplicating. `idempotencyKeyTTL` must match `^\d+[smhd]$`;
 * anything else, or nothing, means the default of 30 days
 * (W:apps/webapp/app/utils/idempotencyKeys.server.ts resolveIdempotencyKeyTTL;
 * W:apps/webapp/app/runEngine/concerns/idempotencyKeys.server.ts; DOC:idempotency.mdx
 * "By default idempotency keys are stored for 30 days").
 */
export function resolveIdempotencyKeyExpiry(ttl: string | undefined, now: number): Date {
  const match = ttl?.match(/^(\d+)([smhd])$/);
  if (!match) return new Date(now + 30 * DAY_MS);
  const amount = Number(match[1]);
  const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS }[match[2] as "s" | "m" | "h" | "d"];
  return new Date(now + amount * unitMs);
}
