/**
 * The abort signal of the HTTP request that is running each Inngest run, keyed by run id (the
 * `X-Run-ID` header Inngest sends with every call). The serve handler records it; the function
 * body passes it to the attempt, so a request that Inngest gave up on (timeout, broken connection,
 * a server shutting down hard) aborts the handler's signal instead of running on unseen.
 */
export class RequestSignals {
  readonly #signals = new Map<string, AbortSignal>();

  /** Records `request`'s signal for the duration of `handle`. */
  async around(request: Request, handle: (request: Request) => Promise<Response>): Promise<Response> {
    const runId = request.headers.get("x-run-id");
    if (!runId || request.method !== "POST") return handle(request);
    this.#signals.set(runId, request.signal);
    try {
      return await handle(request);
    } finally {
      if (this.#signals.get(runId) === request.signal) this.#signals.delete(runId);
    }
  }

  get(runId: string): AbortSignal | undefined {
    return this.#signals.get(runId);
  }
}
