import { ConfigError } from "@switchyard/core";

/** Where the cron routes live by default: `/api/cron/<schedule id>`. */
export const DEFAULT_BASE_PATH = "/api/cron";

/** `basePath` with one leading slash and no trailing one; a ConfigError when it is not a path. */
export function normalizeBasePath(basePath: unknown, where: string): string {
  if (typeof basePath !== "string" || !basePath.startsWith("/") || /[?#\s]/.test(basePath)) {
    throw new ConfigError(
      `${where}: basePath must be a URL path such as "${DEFAULT_BASE_PATH}", got ${JSON.stringify(basePath)}`,
    );
  }
  return basePath.replace(/\/+$/, "");
}

/** The route Vercel calls for a schedule: the base path, then the schedule id as one segment. */
export function cronPath(basePath: string, scheduleId: string): string {
  return `${basePath}/${encodeURIComponent(scheduleId)}`;
}

/** The schedule id a request path names, or undefined when the path is not under the base path. */
export function scheduleIdOf(pathname: string, basePath: string): string | undefined {
  if (!pathname.startsWith(`${basePath}/`)) return undefined;
  const segment = pathname.slice(basePath.length + 1).replace(/\/$/, "");
  if (segment === "" || segment.includes("/")) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
