/**
 * Public types of the QStash emulator. Field defaults are written in the JSDoc of each field;
 * the values themselves live in `options.ts`.
 */

/** Options of {@link startQStashEmulator}. Every field is optional. */
export interface QStashEmulatorOptions {
  /**
   * Bearer token the API accepts (`Authorization: Bearer <token>` or `?qstash_token=`).
   * @default "qstash-emulator-token"
   */
  token?: string;
  /**
   * Key that signs every delivery (`Upstash-Signature`).
   * @default a random `sig_…` string
   */
  currentSigningKey?: string;
  /**
   * The key that becomes current after a rotation (`POST /v2/keys/rotate`).
   * @default a random `sig_…` string
   */
  nextSigningKey?: string;
  /**
   * Port to listen on, on 127.0.0.1.
   * @default 0 (a random free port)
   */
  port?: number;
  /**
   * Speed of the emulator's clock relative to real time: every wait the emulator itself imposes
   * (`Upstash-Delay`, `Upstash-Not-Before`, retry backoff, `Retry-After`, cron ticks, the
   * deduplication window, flow-control rate periods) takes `timeScale` times as long in real time.
   * `0.01` turns the 12 s first default retry into 120 ms and makes a `* * * * *` schedule fire every
   * 600 ms. The per-attempt HTTP timeout is NOT scaled: it bounds real work done by the handler.
   * @default 1
   */
  timeScale?: number;
  /**
   * Where the emulator's clock starts (its `now()` at start-up). Useful to place a cron tick a
   * moment ahead, e.g. just before 09:00 in a given timezone.
   * @default the real current time
   */
  startTime?: Date | number;
  /**
   * Retries after the first attempt when a message has no `Upstash-Retries` header.
   * @default 3 (QStash free plan; total attempts = 1 + retries)
   */
  defaultRetries?: number;
  /**
   * Per-attempt HTTP timeout when a message has no `Upstash-Timeout`, in real milliseconds
   * (QStash uses the plan's "Max HTTP Response Duration").
   * @default 900_000 (15 minutes, the free plan)
   */
  maxResponseDurationMs?: number;
  /**
   * How long a deduplication id (explicit or content based) is remembered, in emulator-clock
   * milliseconds.
   * @default 600_000 (10 minutes, per the current QStash docs; the SDK JSDoc still says 90 days)
   */
  deduplicationWindowMs?: number;
  /**
   * Whether a `Retry-After`-style answer also overrides a message's `Upstash-Retry-Delay`
   * expression. The docs only say such an answer is used "instead of the default backoff
   * algorithm" (qstash/features/retry.mdx); what wins over a custom expression is not documented
   * either way [unconfirmed]. `false` follows the docs literally: the answer's delay applies only
   * to messages without `Upstash-Retry-Delay`, and the expression wins on the others. That is the
   * rule an app must survive if it cannot know, so it is the default.
   * @default false
   */
  retryAfterOverridesRetryDelay?: boolean;
  /**
   * The plan's maximum message size: a publish with a larger body is refused with 413 (status
   * inferred; the limit is the pricing page's "Max Message Size").
   * @default 1_048_576 (1 MB, the free plan; pay-as-you-go: 10 MB)
   */
  maxMessageBytes?: number;
  /**
   * The plan's maximum delay, in milliseconds: a publish due further away is refused with 400
   * (status inferred; limit from qstash/features/delay.mdx).
   * @default 604_800_000 (7 days, the free plan; pay-as-you-go: 1 year)
   */
  maxDelayMs?: number;
}

/** Lifecycle states, as QStash names them in its logs (`GET /v2/events`). */
export type MessageState =
  | "CREATED"
  | "ACTIVE"
  | "RETRY"
  | "ERROR"
  | "DELIVERED"
  | "FAILED"
  | "CANCEL_REQUESTED"
  | "CANCELLED";

/** One log entry, the shape `GET /v2/events` returns (and `Client.logs()` reads). */
export interface LogEntry {
  /** Emulator-clock time of the transition, unix ms. */
  time: number;
  state: MessageState;
  messageId: string;
  url: string;
  /** The message's headers (Content-Type and the forwarded ones), `{Name: [values]}`. */
  header?: Record<string, string[]>;
  /** The message's body, base64 (OA LogEntry.body). */
  body?: string;
  topicName?: string;
  queueName?: string;
  scheduleId?: string;
  /** For `RETRY`: emulator-clock time of the next attempt, unix ms. */
  nextDeliveryTime?: number;
  /** For `ERROR` and `FAILED`: what went wrong. */
  error?: string;
  responseStatus?: number;
  /** Base64 response body, for `ERROR`. */
  responseBody?: string;
  responseHeaders?: Record<string, string[]>;
  maxRetries?: number;
  retryDelayExpression?: string;
  labels?: string[];
  label?: string;
}

/** One HTTP attempt the emulator made, for test assertions. */
export interface DeliveryRecord {
  messageId: string;
  url: string;
  method: string;
  /** Value of `Upstash-Retried` on this attempt: 0 on the first. */
  retried: number;
  /** Headers sent, lower-cased names. */
  headers: Record<string, string>;
  body: string;
  scheduleId?: string;
  queueName?: string;
  /** Set when the message is a callback / failure callback of another message. */
  callbackOf?: { sourceMessageId: string; kind: "callback" | "failureCallback" };
  /** Real time (ms) the request started and ended. */
  startedAt: number;
  finishedAt: number;
  /** Response status, absent when the request failed or timed out. */
  status?: number;
  /** Network error or `"timeout"`. */
  error?: string;
  outcome: "delivered" | "retry" | "failed" | "cancelled";
}

/** Full state of one message as the emulator knows it (test helper; QStash has no such call). */
export interface MessageSnapshot {
  messageId: string;
  url: string;
  state: MessageState;
  /** Retries done so far. */
  retried: number;
  maxRetries: number;
  createdAt: number;
  /** Emulator-clock time the next attempt is due, while waiting. */
  nextDeliveryAt?: number;
  queueName?: string;
  scheduleId?: string;
  flowControlKey?: string;
  labels: string[];
  dlqId?: string;
  deduplicationId?: string;
}
