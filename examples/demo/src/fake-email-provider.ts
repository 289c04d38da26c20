import { PermanentError } from "@switchyard/core";

/**
 * Stands in for an email API: every third call fails with a transient 503, and mail to a
 * `bounce@` address is refused for good (an HTTP 422 in real life).
 */
export class FakeEmailProvider {
  readonly sent: string[] = [];
  #calls = 0;

  async send(to: string, subject: string): Promise<{ messageId: string }> {
    this.#calls++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (to.startsWith("bounce@")) throw new PermanentError(`mailbox ${to} does not exist`);
    if (this.#calls % 3 === 0) throw new Error("503 Service Unavailable (transient)");
    this.sent.push(`${to}: ${subject}`);
    return { messageId: `msg-${this.#calls}` };
  }
}
