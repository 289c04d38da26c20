import { HttpError } from "./route.js";

interface RequestSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { message: string } };
}

/**
 * Validates a request body with the SDK's own zod schema for it (C:schemas/api.js), answering
 * 400 `{ error }` on a mismatch as the server does.
 */
export function parseBody<T>(schema: RequestSchema<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new HttpError(400, `Invalid request body: ${result.error.message}`);
  return result.data;
}
