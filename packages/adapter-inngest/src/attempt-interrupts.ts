import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The attempts running in each request of the serve handler, so that the adapter can end those the
 * SDK abandoned. With steps, the SDK answers Inngest as soon as the handler reaches a step it must
 * hand over (a sleep, an invoke, a step to retry, a step run on a retry): it sends the step's op and
 * never settles the handler's promise (I:components/execution/engine.js, "steps-found" and
 * "step-ran" handlers). When the request has been answered, every attempt still running in it is
 * interrupted (core then ends it `suspended`: its timeout and abort listener are released, no event
 * reports it failed). An AsyncLocalStorage scope, not the run id, ties an attempt to its request:
 * Inngest may call one run in parallel requests.
 */
export class AttemptInterrupts {
  readonly #scope = new AsyncLocalStorage<Set<() => void>>();

  /** Runs `handle` for `request`, then interrupts the attempts it left running. */
  async around(request: Request, handle: (request: Request) => Promise<Response>): Promise<Response> {
    const running = new Set<() => void>();
    try {
      return await this.#scope.run(running, () => handle(request));
    } finally {
      for (const interrupt of running) interrupt();
    }
  }

  /** Registers the current attempt's interrupt with its request; returns the function that unregisters it. */
  register(interrupt: () => void): () => void {
    const running = this.#scope.getStore();
    running?.add(interrupt);
    return () => running?.delete(interrupt);
  }
}
