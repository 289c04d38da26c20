import type { JobLogger } from "./interfaces.js";

/**
 * `ctx.log`: the client's logger with the job's id, name and attempt on every line, so a line from a
 * handler can be traced to its job in any log store. Fields the handler passes win. A class (one
 * shape, methods shared) because one is made per attempt.
 */
export class ScopedLogger implements JobLogger {
  readonly #logger: JobLogger;
  readonly #jobId: string;
  readonly #jobName: string;
  readonly #attempt: number;

  constructor(logger: JobLogger, jobId: string, jobName: string, attempt: number) {
    this.#logger = logger;
    this.#jobId = jobId;
    this.#jobName = jobName;
    this.#attempt = attempt;
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.#logger.info(message, this.#fields(fields));
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.#logger.warn(message, this.#fields(fields));
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.#logger.error(message, this.#fields(fields));
  }

  #fields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
    return { jobId: this.#jobId, jobName: this.#jobName, attempt: this.#attempt, ...fields };
  }
}
