import { createHash } from "node:crypto";

/**
 * The cache in front of REST v1, as the server's caching middleware keeps it
 * (G:pkg/api/apiv1/cache.go:40-150):
 * - only `GET` answers are cached, keyed by the request URL (path and query) plus its
 *   `Authorization` header (`cacheKey`);
 * - an answer is stored only when its handler set a max-age (`WriteCachedResponse`,
 *   G:pkg/api/apiv1/apiv1.go:234-255), for that many seconds; errors set none and are never cached;
 * - a hit writes the stored body alone, so its `metadata.fetched_at` / `cached_until` are those of
 *   the answer that was stored.
 * Times are real milliseconds.
 */
export class ResponseCache {
  readonly #entries = new Map<string, { body: string; until: number }>();

  /** The key of a request: SHA-256 of URL + Authorization, as `cacheKey` builds it. */
  static keyOf(url: string, authorization: string | undefined): string {
    return createHash("sha256")
      .update(url + (authorization ?? ""))
      .digest("hex");
  }

  /** The stored body, while it is fresh. */
  get(key: string, now = Date.now()): string | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until > now) return entry.body;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, body: string, maxAgeSeconds: number, now = Date.now()): void {
    if (maxAgeSeconds > 0) this.#entries.set(key, { body, until: now + maxAgeSeconds * 1_000 });
  }

  clear(): void {
    this.#entries.clear();
  }
}
