// How localOnly decides that a request comes from this machine. The client address must be loopback
// (it comes from the mount: a Web Request has none), and the Host must name a loopback host, so that
// a page on another site whose name resolves to 127.0.0.1 (DNS rebinding) is refused too.
import { isIP } from "node:net";

/** 127.0.0.0/8, ::1, and IPv4 loopback written as an IPv6-mapped address (::ffff:127.0.0.1). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.replace(/^::ffff:/i, "");
  if (isIP(plain) === 4) return plain.startsWith("127.");
  if (isIP(address) !== 6) return false;
  return new URL(`http://[${address}]`).hostname === "[::1]"; // the URL parser normalizes 0:0::1 and the like
}

/** The Host header's name is localhost, a loopback IPv4 address or [::1] (any port). */
export function isLoopbackHost(host: string | null): boolean {
  if (!host) return false;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (name.startsWith("[") && name.endsWith("]")) return isLoopbackAddress(name.slice(1, -1));
  return isIP(name) === 4 && name.startsWith("127.");
}
