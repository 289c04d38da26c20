import type { JobLogger } from "@switchyard/core";
import { Logger } from "graphile-worker";

/**
 * graphile-worker's logger, forwarding to the Switchyard logger: errors and warnings only (graphile-worker
 * logs every completed job at info level). A failed attempt is a warning: the Switchyard outcome decides.
 */
export function graphileLogger(logger: JobLogger): Logger {
  return new Logger((scope) => (level, message, meta) => {
    const fields = { ...scope, ...(meta && "error" in meta ? { error: String(meta.error) } : {}) };
    if (level === "error") {
      if (meta?.failure) logger.warn(`graphile-worker: ${firstLine(message)}`, fields);
      else logger.error(`graphile-worker: ${message}`, fields);
    } else if (level === "warning") {
      logger.warn(`graphile-worker: ${message}`, fields);
    }
  });
}

function firstLine(message: string): string {
  const end = message.indexOf("\n");
  return end === -1 ? message : message.slice(0, end);
}
