import http from "node:http";
import https from "node:https";

export interface AttemptResult {
  status?: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Network error message, or "timeout". */
  error?: string;
}

const MAX_TIMER_MS = 2_147_483_647;

/** Agents without keep-alive, so that closing the emulator leaves no sockets behind. */
const agents = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

/**
 * One HTTP call to a destination. Never throws: a connection error or a timeout is a failed
 * attempt like any non-2xx answer ("If your API does not respond with a success status code (2XX),
 * we retry", qstash/features/retry.mdx). Redirects are not followed, so 3xx is a failure too
 * [inferred: the docs only call 2xx a success].
 */
export function performAttempt(options: {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Real milliseconds. */
  timeoutMs: number;
  signal: AbortSignal;
}): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const url = new URL(options.url);
    const transport = url.protocol === "https:" ? https : http;
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = transport.request(
      url,
      {
        method: options.method,
        headers: { ...options.headers, "content-length": String(options.body.length) },
        agent: url.protocol === "https:" ? agents.https : agents.http,
        signal: options.signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          finish({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on("error", (error) => finish({ headers: {}, body: Buffer.alloc(0), error: error.message }));
      },
    );
    const timer = setTimeout(
      () => {
        finish({ headers: {}, body: Buffer.alloc(0), error: "timeout" });
        request.destroy();
      },
      Math.min(options.timeoutMs, MAX_TIMER_MS),
    );
    timer.unref();
    request.on("error", (error) => finish({ headers: {}, body: Buffer.alloc(0), error: error.message }));
    request.end(options.body);
  });
}
