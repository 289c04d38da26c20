/**
 * Bodies QStash stores and returns (a message's, a schedule's, a dead-lettered response's) come as
 * `body` when they are UTF-8 text and as base64 in `bodyBase64` otherwise (upstash/docs
 * qstash/openapi.yaml: Message, DLQMessage, Schedule); a log entry's body is base64 (LogEntry).
 */

/** The text of a stored body: `text` as it is, else `base64` decoded; undefined when neither is there. */
export function storedBodyText(text: string | undefined, base64?: string): string | undefined {
  if (text !== undefined) return text;
  return base64 === undefined ? undefined : Buffer.from(base64, "base64").toString("utf8");
}

/** The JSON value of a stored body; undefined when it is absent, empty or not JSON. */
export function parseStoredBody(text: string | undefined, base64?: string): unknown {
  const source = storedBodyText(text, base64);
  if (source === undefined || source === "") return undefined;
  try {
    return JSON.parse(source);
  } catch {
    return undefined;
  }
}
