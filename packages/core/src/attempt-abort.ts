/**
 * Aborts one attempt. The handler's AbortSignal is created only if the handler reads `ctx.signal`:
 * an AbortController per attempt costs more than a no-op job itself.
 */
export class AttemptAbort {
  #controller?: AbortController;
  #aborted = false;
  #reason: unknown;
  #listener?: (reason: unknown) => void;

  get aborted(): boolean {
    return this.#aborted;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** The first call wins; later calls are ignored. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#listener?.(reason);
  }

  /** Calls `listener` once when aborted (at once if already aborted). One listener: the attempt runner's. */
  onAbort(listener: (reason: unknown) => void): void {
    this.#listener = listener;
    if (this.#aborted) listener(this.#reason);
  }
}
