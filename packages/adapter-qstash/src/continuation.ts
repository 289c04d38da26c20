import type { StepRecord } from "@switchyard/core/adapter";

/**
 * The body of a message that carries a job on (durable steps), published to the job's URL with
 * `&run=<job id>`. QStash has no store a handler could write steps to, so the steps travel in the
 * message itself, as in Upstash Workflow (workflow-js src/qstash/submit-steps.ts publishes each
 * step's result to the workflow URL and ends the request): the delivery of a continuation runs the
 * handler from the top with these steps, and the signature covers them like any body.
 */
export interface Continuation {
  switchyard: "continuation";
  /** The attempt this continuation runs as (a continuation is not an attempt; a retry is). */
  attempt: number;
  payload: unknown;
  /** The completed steps, in the order they completed. */
  steps: Array<[string, StepRecord]>;
}

/**
 * What a child job of `ctx.step.invoke` publishes once it completed, to its own `&run=<id>` URL:
 * QStash keeps no result of a delivered message, so this message is where `get(childId)` reads the
 * result from. Its delivery does nothing.
 */
export interface ResultRecord {
  switchyard: "result";
  attempt: number;
  payload: unknown;
  result?: unknown;
}

export type CarriedBody = Continuation | ResultRecord;

const STEP_TYPES: ReadonlySet<string> = new Set(["run", "sleep", "invoke"]);

/** The continuation or result record a body holds; undefined for anything else. */
export function parseCarriedBody(value: unknown): CarriedBody | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const body = value as { switchyard?: unknown; attempt?: unknown; steps?: unknown };
  if (typeof body.attempt !== "number" || !Number.isInteger(body.attempt) || body.attempt < 1)
    return undefined;
  if (body.switchyard === "result") return value as ResultRecord;
  if (body.switchyard !== "continuation" || !Array.isArray(body.steps)) return undefined;
  const valid = body.steps.every(
    (entry: unknown) =>
      Array.isArray(entry) &&
      typeof entry[0] === "string" &&
      typeof entry[1] === "object" &&
      entry[1] !== null &&
      STEP_TYPES.has((entry[1] as { type?: string }).type ?? ""),
  );
  return valid ? (value as Continuation) : undefined;
}
