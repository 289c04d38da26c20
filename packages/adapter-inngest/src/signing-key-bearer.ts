import { createHash } from "node:crypto";

const PREFIX = /^signkey-\w+-/;

/**
 * The `Authorization` bearer for Inngest's REST API, as the SDK builds it: the `signkey-<env>-`
 * prefix kept and the rest replaced by the SHA-256 of the hex-decoded key, so the key itself never
 * travels (inngest-js `hashSigningKey`; the API accepts the raw or the hashed key).
 */
export function signingKeyBearer(signingKey: string): string {
  const prefix = PREFIX.exec(signingKey)?.[0] ?? "";
  const hex = signingKey.slice(prefix.length);
  return `${prefix}${createHash("sha256").update(Buffer.from(hex, "hex")).digest("hex")}`;
}
