/** A command that ran but could not do what was asked (no such job, job not failed): exit code 1. */
export class CommandFailure extends Error {
  override readonly name = "CommandFailure";
}
