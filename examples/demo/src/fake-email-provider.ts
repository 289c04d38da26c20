import { PermanentError } from "@switchyard/core";

/**
 * Stands in for an email API: the first try of every third distinct message fails with a transient
 * 503 (its retry goes through), and mail to a `bounce@` address is refused for good (an HTTP 422 in
 * real life). Deterministic per message: a global "every third call" would let jobs retrying in
 * lockstep hit the failing call every time, whatever their retry budget.
 */
export class FakeEmailProvider {
  readonly sent: string[] = [];
  /** Tries so far, and the message's number in order of first sight, by message. */
  readonly #messages = new Map<string, { number: number; tries: number }>();
  #calls = 0;

  async send(to: string, subject: string): Promise<{ messageId: string }> {
    this.#calls++;
    const key = `${to}\u0000${subject}`;
    const message = this.#messages.get(key) ?? { number: this.#messages.size + 1, tries: 0 };
    this.#messages.set(key, message);
    message.tries++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (to.startsWith("bounce@")) throw new PermanentError(`mailbox ${to} does not exist`);
    if (message.number % 3 === 0 && message.tries === 1)
      throw new Error("503 Service Unavailable (transient)");
    this.sent.push(`${to}: ${subject}`);
    return { messageId: `msg-${this.#calls}` };
  }
}
