const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * How QStash returns a stored body: `body` when it is valid UTF-8, `bodyBase64` otherwise
 * (OA Message.body / bodyBase64). `prefix` names the pair, e.g. "response" → responseBody.
 */
export function encodeBody(body: Buffer | undefined, prefix = ""): Record<string, string> {
  if (!body || body.length === 0) return {};
  const key = prefix ? `${prefix}Body` : "body";
  try {
    return { [key]: strictUtf8.decode(body) };
  } catch {
    return { [`${key}Base64`]: body.toString("base64") };
  }
}

/** Header pairs → the `{Name: [values]}` map the API uses (OA Message.header). */
export function headerMap(headers: Iterable<[string, string]>): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    const key = canonicalHeaderName(name);
    const values = map[key] ?? [];
    values.push(value);
    map[key] = values;
  }
  return map;
}

/** `x-foo-bar` → `X-Foo-Bar`, the spelling Go's net/http (and so QStash) uses. */
export function canonicalHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split("-")
    .map((part) => (part ? part[0]?.toUpperCase() + part.slice(1) : part))
    .join("-");
}
