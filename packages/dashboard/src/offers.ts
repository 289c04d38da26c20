// What the dashboard offers on a backend, from its capability manifest: a view or action the backend
// cannot do is not shown, and its API route answers 501.
import { type Capabilities, supports } from "@switchyard/core";

export interface Offers {
  backend: string;
  readOnly: boolean;
  /** States `counts()` reports; empty when the backend cannot count. */
  counted: ReadonlyArray<string>;
  /** States that can be listed: `list()`'s, or just "failed" through `listFailed()`. */
  listed: ReadonlyArray<string>;
  get: boolean;
  retry: boolean;
  cancel: boolean;
  /** Running jobs can be cancelled too (else only waiting and delayed ones). */
  cancelRunning: boolean;
  retryFailed: boolean;
}

export function offersOf(capabilities: Capabilities, readOnly: boolean): Offers {
  const can = (feature: Parameters<typeof supports>[1]) => supports(capabilities, feature);
  const listed = can("jobs.list")
    ? (capabilities.jobStates?.listed ?? [])
    : can("jobs.listFailed")
      ? ["failed"]
      : [];
  return {
    backend: capabilities.backend,
    readOnly,
    counted: can("jobs.counts") ? (capabilities.jobStates?.counted ?? []) : [],
    listed,
    get: can("jobs.get"),
    retry: !readOnly && can("jobs.retry"),
    cancel: !readOnly && can("jobs.cancel"),
    cancelRunning: !readOnly && can("jobs.cancel") && can("jobs.cancelRunning"),
    retryFailed: !readOnly && can("jobs.retryFailed"),
  };
}
