import type { RunState } from "./run-state.js";

/** Every run the executor has created, in creation order. */
export class RunStore {
  readonly #runs = new Map<string, RunState>();

  add(run: RunState): void {
    this.#runs.set(run.id, run);
  }

  get(id: string): RunState | undefined {
    return this.#runs.get(id);
  }

  all(): RunState[] {
    return [...this.#runs.values()];
  }

  forEvent(eventId: string): RunState[] {
    return this.all().filter((run) => run.eventId === eventId);
  }
}
