// CSRF protection of state-changing requests: the page carries a signed token that a cross-site page
// cannot read, every POST must send it back in a header, and its Origin must be this dashboard's.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const CSRF_HEADER = "x-switchyard-csrf";
/** A page's token works this long; a page left open longer gets a new one when it reloads. */
const TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

export class CsrfTokens {
  readonly #key: Buffer;

  constructor(secret: string | undefined) {
    this.#key = secret === undefined ? randomBytes(32) : Buffer.from(secret, "utf8");
  }

  /** `<issued at, ms>.<HMAC of it>`: verifiable without storing anything. */
  issue(now = Date.now()): string {
    return `${now}.${this.#sign(String(now))}`;
  }

  verify(token: string | null, now = Date.now()): boolean {
    if (!token) return false;
    const [issued, signature, ...rest] = token.split(".");
    if (!issued || !signature || rest.length > 0 || !/^\d{1,15}$/.test(issued)) return false;
    const age = now - Number(issued);
    if (age < 0 || age > TOKEN_LIFETIME_MS) return false;
    const expected = Buffer.from(this.#sign(issued));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #sign(text: string): string {
    return createHmac("sha256", this.#key).update(`switchyard-dashboard-csrf:${text}`).digest("base64url");
  }
}

/**
 * The request comes from a page of an allowed origin: its Origin header is the request URL's origin or
 * one of `allowed`. Without Origin (some browsers leave it out of same-origin requests), Sec-Fetch-Site
 * must say same-origin. A request with neither is refused: browsers send one of them on every POST.
 */
export function sameOrigin(request: Request, allowed: ReadonlyArray<string>): boolean {
  const origin = request.headers.get("origin");
  if (origin !== null) return origin === new URL(request.url).origin || allowed.includes(origin);
  return request.headers.get("sec-fetch-site") === "same-origin";
}
