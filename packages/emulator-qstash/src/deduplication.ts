import { createHash } from "node:crypto";

/**
 * Deduplication ids seen within the window (qstash/features/deduplication.mdx): a duplicate
 * publish is accepted, not enqueued, and answered with the existing messageId and HTTP 202.
 * The window is "the last 10 minutes" per OA (Upstash-Deduplication-Id) and upstash/docs#441,
 * while the SDK JSDoc says 90 days (QT:2276); it is an emulator option. Ids are scoped to the
 * whole account, not to a destination [inferred: the docs never scope them].
 */
export class DeduplicationStore {
  private readonly seen = new Map<string, { messageId: string; expiresAt: number }>();

  constructor(private readonly windowMs: number) {}

  /** The messageId that already holds `id`, if it is still inside the window. */
  lookup(id: string, now: number): string | undefined {
    const entry = this.seen.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.seen.delete(id);
      return undefined;
    }
    return entry.messageId;
  }

  remember(id: string, messageId: string, now: number): void {
    this.seen.set(id, { messageId, expiresAt: now + this.windowMs });
  }

  clear(): void {
    this.seen.clear();
  }
}

/**
 * Content-based id: hash of destination, body, and the headers the docs name: `Content-Type` and
 * every `Upstash-Forward-*` header (qstash/features/deduplication.mdx "Content Based Deduplication").
 */
export function contentDeduplicationId(
  destination: string,
  body: Buffer,
  headers: Array<[string, string]>,
): string {
  const hash = createHash("sha256");
  hash.update(destination).update("\0").update(body).update("\0");
  const sorted = headers.map(([name, value]) => `${name.toLowerCase()}:${value}`).sort();
  for (const line of sorted) hash.update(line).update("\n");
  return `content:${hash.digest("hex")}`;
}
