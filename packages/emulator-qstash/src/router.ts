import type { IncomingHttpHeaders } from "node:http";

/** One API request, already read. */
export interface RouteContext {
  method: string;
  /** Raw request path without the query string, exactly as sent (not normalised). */
  path: string;
  query: URLSearchParams;
  /** Raw query string with its leading `?`, or "" (re-attached to publish destinations). */
  rawQuery: string;
  /** Capture groups of the route pattern, not decoded. */
  params: string[];
  headers: IncomingHttpHeaders;
  body: Buffer;
  callerIp?: string;
}

export interface RouteResult {
  status: number;
  /** Serialised as JSON; absent = empty body (for the calls the SDK does not parse). */
  body?: unknown;
}

export interface Route {
  methods: string[];
  pattern: RegExp;
  handle(context: RouteContext): RouteResult;
}

export const route = (methods: string | string[], pattern: RegExp, handle: Route["handle"]): Route => ({
  methods: Array.isArray(methods) ? methods : [methods],
  pattern,
  handle,
});

/** First route whose pattern matches the path and whose method matches; `methodMismatch` if only the path did. */
export function findRoute(
  routes: Route[],
  method: string,
  path: string,
): { route: Route; params: string[] } | { methodMismatch: boolean } {
  let methodMismatch = false;
  for (const candidate of routes) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    if (!candidate.methods.includes(method)) {
      methodMismatch = true;
      continue;
    }
    return { route: candidate, params: match.slice(1).map((param) => param ?? "") };
  }
  return { methodMismatch };
}

/** A path segment decoded (`%2F` etc.); ids from the SDK are passed raw but may be escaped by other clients. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
