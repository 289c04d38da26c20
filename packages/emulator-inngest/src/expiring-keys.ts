/** Keys remembered for a fixed window from first sight (idempotency windows). */
export class ExpiringKeys {
  readonly #expiry = new Map<string, number>();

  /** True the first time `key` is seen within `windowMs`; false while it is remembered. */
  claim(key: string, windowMs: number, nowMs = Date.now()): boolean {
    const until = this.#expiry.get(key);
    if (until !== undefined && until > nowMs) return false;
    this.#expiry.set(key, nowMs + windowMs);
    return true;
  }
}
