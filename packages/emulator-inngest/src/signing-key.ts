import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** `signkey-<env>-` prefix the SDK strips before using a key (I:helpers/strings.js:88-96). */
const SIGNING_KEY_PREFIX = /^signkey-[\w]+-/;

/** A fresh test-environment signing key: `signkey-test-` + 64 hex characters. */
export function generateSigningKey(): string {
  return `signkey-test-${randomBytes(32).toString("hex")}`;
}

/** A fresh event key (any opaque string is accepted by the SDK). */
export function generateEventKey(): string {
  return randomBytes(24).toString("hex");
}

function stripPrefix(signingKey: string): string {
  return signingKey.replace(SIGNING_KEY_PREFIX, "");
}

/**
 * `X-Inngest-Signature` for a server→SDK request: `t=<unix s>&s=<hex>` where
 * `s = HMAC-SHA256(key = UTF-8 of the prefix-stripped key text, msg = body + t)`
 * (I:helpers/net.js:29-47; G:pkg/execution/driver/httpdriver/util.go:21-37).
 * `body` must be the exact canonical JSON sent on the wire.
 */
export function signRequestBody(body: string, signingKey: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000).toString();
  const s = createHmac("sha256", stripPrefix(signingKey)).update(body).update(t).digest("hex");
  return `t=${t}&s=${s}`;
}

/**
 * The bearer token the SDK sends to the API: the prefix kept, the rest
 * replaced by SHA-256 of the hex-decoded key (I:helpers/strings.js:88-93).
 */
export function hashSigningKey(signingKey: string): string {
  const prefix = signingKey.match(SIGNING_KEY_PREFIX)?.[0] ?? "";
  return `${prefix}${createHash("sha256")
    .update(Buffer.from(stripPrefix(signingKey), "hex"))
    .digest("hex")}`;
}

function sameText(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Whether an `Authorization` header carries the signing key. The server
 * accepts the raw key or its hashed form (G:pkg/authn/signing_key_strategy.go:55-93).
 */
export function isAuthorizedBearer(header: string | undefined, signingKey: string): boolean {
  const token = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  if (!token) return false;
  return sameText(token, signingKey) || sameText(token, hashSigningKey(signingKey));
}
