import type { JobLogger } from "./interfaces.js";

/** Writes to the console with a `[switchyard]` prefix. The default logger. */
export const consoleLogger: JobLogger = {
  info: (message, fields) => console.info(`[switchyard] ${message}`, ...(fields ? [fields] : [])),
  warn: (message, fields) => console.warn(`[switchyard] ${message}`, ...(fields ? [fields] : [])),
  error: (message, fields) => console.error(`[switchyard] ${message}`, ...(fields ? [fields] : [])),
};

/** Discards everything; for tests and benchmarks. */
export const silentLogger: JobLogger = { info() {}, warn() {}, error() {} };

/** A pino logger (or any logger taking `(fields, message)`): recognised by its `levels` and `child`. */
export interface PinoLikeLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  child(bindings: object): unknown;
  levels: { values: Record<string, number> };
}

function isPinoLike(logger: JobLogger | PinoLikeLogger): logger is PinoLikeLogger {
  const candidate = logger as Partial<PinoLikeLogger>;
  return typeof candidate.child === "function" && typeof candidate.levels?.values === "object";
}

/** The logger the client uses: as given, or a pino logger called the way pino expects (fields first). */
export function toJobLogger(logger: JobLogger | PinoLikeLogger): JobLogger {
  if (!isPinoLike(logger)) return logger;
  return {
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}
