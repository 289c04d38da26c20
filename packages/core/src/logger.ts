import type { JobLogger } from "./interfaces.js";

/** Writes to the console with a `[switchyard]` prefix. The default logger. */
export const consoleLogger: JobLogger = {
  info: (message, fields) => console.info(`[switchyard] ${message}`, ...(fields ? [fields] : [])),
  warn: (message, fields) => console.warn(`[switchyard] ${message}`, ...(fields ? [fields] : [])),
  error: (message, fields) => console.error(`[switchyard] ${message}`, ...(fields ? [fields] : [])),
};

/** Discards everything; for tests and benchmarks. */
export const silentLogger: JobLogger = { info() {}, warn() {}, error() {} };
