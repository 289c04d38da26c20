import type { JobError } from "@switchyard/core";

/**
 * What the function returns when a job completes: the handler's result plus the attempt it took,
 * so `get(id)` can report attempts (Inngest's REST API does not). This is the run's output in
 * Inngest's dashboard and API.
 */
export interface CompletedRunOutput {
  result?: unknown;
  switchyard: { attempts: number };
}

/**
 * The `cause` of the NonRetriableError thrown when a job fails: the attempt it failed on. The
 * error's `message` and `code` are the job's error; the SDK serialises all three into the run's
 * output (inngest-js `serializeError` keeps name, message, stack, code and cause).
 */
export interface FailureCause {
  /** `id`: the job's id; `code`: its error's code (both read by a parent's step.invoke). */
  switchyard: { attempts: number; id?: string; code?: string };
}

export function completedOutput(result: unknown, attempts: number): CompletedRunOutput {
  return result === undefined ? { switchyard: { attempts } } : { result, switchyard: { attempts } };
}

/**
 * A run's output as REST v2 shows it, its wrapper taken off: Inngest keeps a function's output as
 * `{"data": T}`, or `{"error": T}` for a failure (G:pkg/execution/state/driver_response.go:375-455);
 * a listed run has the `data` wrapper taken off already (G:pkg/devserver/run_provider.go:337-360),
 * and any value that is not an object comes as `{"data": value}` (the field is a protobuf Struct,
 * G:pkg/api/v2/endpoints_runs.go:598-627). The adapter's own outputs are objects with a
 * `switchyard` field, so a lone `data` or `error` field is always such a wrapper.
 */
export function unwrapRunOutput(output: unknown): unknown {
  if (typeof output !== "object" || output === null || Array.isArray(output)) return output;
  const keys = Object.keys(output);
  if (keys.length !== 1) return output;
  if (keys[0] === "data") return (output as { data: unknown }).data;
  if (keys[0] === "error") return (output as { error: unknown }).error;
  return output;
}

/** Reads a completed run's output; a value not written by this adapter is taken as the result. */
export function readCompletedOutput(output: unknown): { result: unknown; attempts?: number } {
  output = unwrapRunOutput(output);
  const attempts = attemptsIn(output);
  if (attempts === undefined) return { result: output };
  return { result: (output as { result?: unknown }).result, attempts };
}

/** Reads a failed run's output (the SDK's serialised error, or the executor's error text). */
export function readFailedOutput(output: unknown): { error: JobError; attempts?: number } {
  output = unwrapRunOutput(output);
  if (typeof output === "string") return { error: { message: output } };
  if (typeof output !== "object" || output === null) return { error: { message: "the run failed" } };
  const { message, code, name, cause } = output as Record<string, unknown>;
  const error: JobError = { message: typeof message === "string" ? message : "the run failed" };
  if (typeof code === "string") error.code = code;
  else if (typeof name === "string") error.code = name;
  return { error, attempts: attemptsIn(cause) };
}

function attemptsIn(value: unknown): number | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const marker = (value as { switchyard?: unknown }).switchyard;
  if (typeof marker !== "object" || marker === null) return undefined;
  const attempts = (marker as { attempts?: unknown }).attempts;
  return typeof attempts === "number" && Number.isInteger(attempts) ? attempts : undefined;
}
