import type { JobLogger } from "../interfaces.js";
import type { JobEvent, JobEventListener, JobEventType } from "./job-event.js";

/**
 * The client's event hub. Emitting never throws into the job's path: a listener that throws (or
 * rejects) is logged and the others still run. With no listener, emitting costs one size check.
 */
export class JobEvents {
  readonly #listeners = new Map<JobEventType | "*", Set<JobEventListener<JobEventType | "*">>>();
  readonly #logger: JobLogger;
  #count = 0;

  constructor(logger: JobLogger) {
    this.#logger = logger;
  }

  /** True when someone listens: callers skip building events otherwise. */
  get listened(): boolean {
    return this.#count > 0;
  }

  on<T extends JobEventType | "*">(type: T, listener: JobEventListener<T>): () => void {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const stored = listener as unknown as JobEventListener<JobEventType | "*">;
    if (!set.has(stored)) {
      set.add(stored);
      this.#count++;
    }
    return () => {
      if (set.delete(stored)) this.#count--;
    };
  }

  emit(event: JobEvent): void {
    if (this.#count === 0) return;
    this.#deliver(this.#listeners.get(event.type), event);
    this.#deliver(this.#listeners.get("*"), event);
  }

  #deliver(listeners: Set<JobEventListener<JobEventType | "*">> | undefined, event: JobEvent): void {
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        const result = listener(event as never);
        if (result instanceof Promise) result.catch((error: unknown) => this.#failed(event, error));
      } catch (error) {
        this.#failed(event, error);
      }
    }
  }

  #failed(event: JobEvent, error: unknown): void {
    this.#logger.error(
      `a "${event.type}" event listener threw: ${(error as Error)?.message ?? String(error)}`,
      {
        jobId: event.id,
        jobName: event.name,
        error,
      },
    );
  }
}
