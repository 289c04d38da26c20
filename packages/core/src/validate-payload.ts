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
 * of a value JSON cannot hold or would change (Date, Map, BigInt, a cycle, undefined).
 */
export async function storedPayload(
  jobName: string,
  schema: PayloadSchema,
  payload: unknown,
): Promise<unknown> {
  const copy = jsonCopy(payload);
  if (!copy.ok) throw new ValidationError(jobName, copy.issues);
  await validatePayload(jobName, schema, copy.value);
  return copy.value;
}
