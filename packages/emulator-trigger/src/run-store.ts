import type { RunRecord } from "./run-record.js";

type Listener = () => void;

/** All runs of the emulated environment, in creation order, with change notifications. */
export class RunStore {
  readonly #runs = new Map<string, RunRecord>();
  readonly #listeners = new Set<Listener>();

  add(run: RunRecord): void {
    this.#runs.set(run.id, run);
    this.changed(run);
  }

  get(id: string): RunRecord | undefined {
    return this.#runs.get(id);
  }

  all(): RunRecord[] {
    return [...this.#runs.values()];
  }

  /** The run that currently holds an idempotency key for a task (keys are scoped per task). */
  findByIdempotencyKey(taskIdentifier: string, key: string): RunRecord | undefined {
    for (const run of this.#runs.values()) {
      if (run.taskIdentifier === taskIdentifier && run.idempotencyKey === key) return run;
    }
    return undefined;
  }

  /** Marks a run as modified: bumps `updatedAt` and wakes waiters. */
  changed(run: RunRecord): void {
    run.updatedAt = new Date();
    for (const listener of this.#listeners) listener();
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
