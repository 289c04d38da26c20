import type { IncomingHttpHeaders } from "node:http";

/** A parsed request as route handlers see it. */
export interface RouteRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Raw body text ("" when empty). */
  text: string;
  /** Body parsed as JSON, or undefined when empty. */
  json: unknown;
}

export interface RouteResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send `body` as raw text with this content type instead of JSON. */
  rawContentType?: string;
}

/** Anything with zod's `safeParse`: the SDK's own response schema, used to check our answers. */
export interface ResponseSchema {
  safeParse(value: unknown): { success: boolean; error?: { message: string } };
}

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path pattern; `:name` segments become `params.name` (URI-decoded). */
  path: string;
  /** Whether the request needs `Authorization: Bearer <secretKey>`. Default: true. */
  auth?: boolean;
  /** The zod schema the SDK parses a 2xx answer with. */
  responseSchema?: ResponseSchema;
  handle(request: RouteRequest): Promise<RouteResponse> | RouteResponse;
}

/** A 4xx/5xx answer `{ error: message }`, the body shape the SDK reads errors from (C:apiClient/errors.js). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Matches `/api/v1/runs/:runId` against a path; returns the params or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const patternParts = pattern.split("/");
  const pathParts = path.split("/");
  if (patternParts.length !== pathParts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const actual = pathParts[index] ?? "";
    if (part.startsWith(":")) {
      if (actual === "") return undefined;
      params[part.slice(1)] = decodeURIComponent(actual);
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
}
