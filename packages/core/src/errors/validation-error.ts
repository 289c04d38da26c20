import type { StandardSchemaV1 } from "@standard-schema/spec";
import { SwitchyardError } from "./switchyard-error.js";

export const VALIDATION_ERROR_CODE = "SWITCHYARD_VALIDATION";

/** One problem the schema found, with the path to the offending value (`["user", "email"]`). */
export interface ValidationIssue {
  message: string;
  path: ReadonlyArray<PropertyKey>;
}

/**
 * A payload did not match its job's schema. At enqueue nothing was enqueued; before a handler runs
 * the job fails permanently (the payload will not change on retry).
 */
export class ValidationError extends SwitchyardError {
  readonly code = VALIDATION_ERROR_CODE;
  readonly jobName: string;
  readonly issues: ReadonlyArray<ValidationIssue>;

  constructor(jobName: string, issues: ReadonlyArray<ValidationIssue>) {
    const listed = issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join("; ");
    super(`invalid payload for job "${jobName}": ${listed}`);
    this.jobName = jobName;
    this.issues = issues;
  }

  static fromSchemaIssues(jobName: string, issues: ReadonlyArray<StandardSchemaV1.Issue>): ValidationError {
    return new ValidationError(
      jobName,
      issues.map((issue) => ({
        message: issue.message,
        path: (issue.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment)),
      })),
    );
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}
