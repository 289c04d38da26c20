import type { StandardSchemaV1 } from "@standard-schema/spec";
import { ValidationError } from "./errors/validation-error.js";
import type { PayloadSchema } from "./interfaces.js";
import { jsonCopy } from "./json-value.js";

/** Validates `payload` with a Standard Schema; returns the schema's output or throws ValidationError. */
export async function validatePayload<S extends PayloadSchema>(
  jobName: string,
  schema: S,
  payload: unknown,
): Promise<StandardSchemaV1.InferOutput<S>> {
  const result = await schema["~standard"].validate(payload);
  if (result.issues) throw ValidationError.fromSchemaIssues(jobName, result.issues);
  return result.value as StandardSchemaV1.InferOutput<S>;
}

/**
 * The payload as a backend will store it, checked to arrive as sent: its JSON copy, which must itself
 * pass the schema (that is what the handler will be given). Throws ValidationError naming the path
 * of a value JSON cannot hold or would change (Date, Map, BigInt, a cycle, undefined). Synchronous
 * for a synchronous schema (the usual kind: enqueueMany of many payloads then costs no promise each);
 * a Promise only when the schema validates asynchronously. The copy itself is never a Promise.
 */
export function storedPayload(jobName: string, schema: PayloadSchema, payload: unknown): unknown {
  const copy = jsonCopy(payload);
  if (!copy.ok) throw new ValidationError(jobName, copy.issues);
  const result = schema["~standard"].validate(copy.value);
  if (result instanceof Promise) {
    return result.then((settled) => {
      if (settled.issues) throw ValidationError.fromSchemaIssues(jobName, settled.issues);
      return copy.value;
    });
  }
  if (result.issues) throw ValidationError.fromSchemaIssues(jobName, result.issues);
  return copy.value;
}
