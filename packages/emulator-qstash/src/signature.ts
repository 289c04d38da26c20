import { createHash, createHmac } from "node:crypto";
import { newJwtId } from "./id-generator.js";

/** "Our JWTs have a lifetime of 5 minutes by default" (qstash/features/security.mdx). */
const TOKEN_LIFETIME_S = 300;

const base64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/**
 * The `Upstash-Signature` JWT of one delivery, as qstash/features/security.mdx describes it:
 * header `{"alg":"HS256","typ":"JWT"}`, HMAC-SHA256 keyed with the UTF-8 bytes of the signing key
 * string itself (the SDK's Receiver does `new TextEncoder().encode(key)`, Q:1198-1206), claims
 * iss "Upstash", sub = destination URL, iat/nbf = now, exp = now + 5 min, jti, and body =
 * base64url SHA-256 of the raw body. The docs' example keeps the `=` padding on `body`; the
 * Receiver strips it on both sides before comparing (Q:1207-1218), so either works.
 *
 * Times are REAL wall-clock seconds, never the emulator clock: the receiver checks nbf/exp against
 * its own clock with zero tolerance by default.
 */
export function signDelivery(options: {
  signingKey: string;
  url: string;
  body: Buffer;
  nowMs?: number;
}): string {
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const header = { alg: "HS256", typ: "JWT" };
  const payload = {
    iss: "Upstash",
    sub: options.url,
    exp: now + TOKEN_LIFETIME_S,
    nbf: now,
    iat: now,
    jti: newJwtId(),
    body: createHash("sha256").update(options.body).digest("base64").replace(/\+/g, "-").replace(/\//g, "_"),
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = createHmac("sha256", Buffer.from(options.signingKey, "utf8"))
    .update(signingInput)
    .digest("base64url");
  return `${signingInput}.${signature}`;
}
