import type { IncomingHttpHeaders } from "node:http";
import { headerMap } from "./api-encoding.js";
import type { MessageRecord } from "./message-record.js";
import type { CallbackSpec, MessageSpec } from "./publish-request.js";

/**
 * The message QStash publishes to an `Upstash-Callback` / `Upstash-Failure-Callback` URL
 * (qstash/features/callbacks.mdx): a JSON body describing the attempt (response status, headers,
 * base64 body; retried, maxRetries, sourceMessageId, url, method, sourceHeader, base64 sourceBody,
 * notBefore and createdAt as strings, scheduleId, callerIP, and dlqId for failure callbacks).
 * It "will use the retry setting from the original request" unless `Upstash-Callback-Retries`
 * etc. override it (OA Upstash-Callback, callbacks.mdx "Configuring Callbacks").
 */
export function callbackMessageSpec(options: {
  source: MessageRecord;
  callback: CallbackSpec;
  response: { status?: number; headers: IncomingHttpHeaders; body: Buffer };
  /** Retries done before the attempt this callback reports. */
  retried: number;
  dlqId?: string;
}): MessageSpec {
  const { source, callback, response } = options;
  const responseHeaders = Object.entries(response.headers).flatMap(([name, value]) =>
    value === undefined
      ? []
      : (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name, v]),
  );
  const payload = {
    status: response.status ?? 0,
    header: headerMap(responseHeaders),
    body: response.body.toString("base64"),
    retried: options.retried,
    maxRetries: source.spec.maxRetries,
    ...(options.dlqId ? { dlqId: options.dlqId } : {}),
    sourceMessageId: source.id,
    url: source.spec.destination,
    method: source.spec.method,
    sourceHeader: headerMap(source.spec.headers),
    sourceBody: source.spec.body.toString("base64"),
    notBefore: String(Math.floor(source.notBefore)),
    createdAt: String(Math.floor(source.createdAt)),
    ...(source.scheduleId ? { scheduleId: source.scheduleId } : {}),
    ...(source.spec.callerIp ? { callerIP: source.spec.callerIp } : {}),
  };
  const retryDelayExpression = callback.retryDelayExpression ?? source.spec.retryDelayExpression;
  const timeoutMs = callback.timeoutMs ?? source.spec.timeoutMs;
  return {
    destination: callback.url,
    method: callback.method,
    body: Buffer.from(JSON.stringify(payload)),
    headers: [["Content-Type", "application/json"], ...callback.headers],
    maxRetries: callback.retries ?? source.spec.maxRetries,
    ...(retryDelayExpression === undefined ? {} : { retryDelayExpression }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    labels: [],
    ...(source.spec.callerIp ? { callerIp: source.spec.callerIp } : {}),
  };
}
