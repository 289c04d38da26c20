import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;

/** Encodes 48-bit milliseconds + 80 bits of entropy as a 26-character ULID. */
function encode(ms: number, entropy: Uint8Array): string {
  let time = "";
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let bits = 0n;
  for (const byte of entropy) bits = (bits << 8n) | BigInt(byte);
  let random = "";
  for (let i = 0; i < 16; i++) {
    random = CROCKFORD[Number(bits & 31n)] + random;
    bits >>= 5n;
  }
  return time + random;
}

/** A new ULID (run ids and event ids are ULIDs on the real server). */
export function newUlid(ms = Date.now()): string {
  return encode(ms, randomBytes(10));
}

/** Whether `value` parses as a ULID (the REST API answers 400 otherwise, G:pkg/api/apiv1/events.go). */
export function isUlid(value: string): boolean {
  return ULID_PATTERN.test(value);
}

/**
 * The ULID the server mints from the SDK's `x-inngest-event-id-seed` header
 * (`<ms>,<base64 of 10 bytes>`) for the `index`-th (1-based) event of a
 * request, so a client retry of the same `send` yields the same ids
 * (G:pkg/event/id.go:24-81, G:pkg/api/api.go:267-270). Undefined when the
 * header is missing or malformed.
 */
export function seededUlid(seedHeader: string | undefined, index: number): string | undefined {
  const [millisText, entropyText, ...rest] = (seedHeader ?? "").split(",");
  if (!millisText || !entropyText || rest.length > 0) return undefined;
  const millis = Number(millisText);
  if (!Number.isInteger(millis) || millis <= 0) return undefined;
  const entropy = Buffer.from(entropyText, "base64");
  if (entropy.length !== 10) return undefined;
  // The index is added to the last four entropy bytes (big endian, wrapping).
  entropy.writeUInt32BE((entropy.readUInt32BE(6) + index) >>> 0, 6);
  return encode(millis, entropy);
}
