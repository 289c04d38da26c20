import type { JobLogger } from "@switchyard/core";
import { Logger } from "graphile-worker";
import { isSuspendedRelease } from "./suspend-job.js";

/**
 * graphile-worker's logger, forwarding to the Switchyard logger: errors and warnings only (graphile-worker
 * logs every fetched and completed job at debug and info level; those return at once). A failed attempt
 * is a warning: the Switchyard outcome decides what happens to the job. A suspension (a durable step
 * sleeps or waits) goes through graphile-worker as a failure too, and is not logged.
 */
export function graphileLogger(logger: JobLogger): Logger {
  return new Logger((scope) => (level, message, meta) => {
    if (level !== "error" && level !== "warning") return;
    if (meta?.failure && isSuspendedRelease(meta.error)) return;
    const fields: Record<string, unknown> = { ...scope };
    if (meta && "error" in meta) fields.error = String(meta.error);
    if (level === "warning") logger.warn(`graphile-worker: ${message}`, fields);
    else if (meta?.failure) logger.warn(`graphile-worker: ${firstLine(message)}`, fields);
    else logger.error(`graphile-worker: ${message}`, fields);
  });
}

function firstLine(message: string): string {
  const end = message.indexOf("\n");
  return end === -1 ? message : message.slice(0, end);
}
