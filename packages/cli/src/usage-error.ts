/** Bad command-line usage: the CLI prints the message and the usage, and exits with 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
