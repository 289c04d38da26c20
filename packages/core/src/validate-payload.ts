import type { StandardSchemaV1 } from "@standard-schema/spec";
import { ValidationError } from "./errors/validation-error.js";
import type { PayloadSchema } from "./interfaces.js";

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
