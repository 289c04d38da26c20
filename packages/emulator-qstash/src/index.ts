/**
 * Local emulator of the Upstash QStash HTTP API, driven by the real `@upstash/qstash` SDK.
 * See the package README for what is emulated, what is not, and the time scale.
 */
export type {
  DeliveryRecord,
  LogEntry,
  MessageSnapshot,
  MessageState,
  QStashEmulatorOptions,
} from "./interfaces.js";
export {
  DEFAULT_DEDUPLICATION_WINDOW_MS,
  DEFAULT_MAX_RESPONSE_DURATION_MS,
  DEFAULT_RETRIES,
  DEFAULT_TOKEN,
} from "./options.js";
export { QStashEmulator, startQStashEmulator, type WaitOptions } from "./qstash-emulator.js";
export { defaultBackoffMs, retryAfterMs } from "./retry-delay.js";
export { compileRetryDelay, RetryDelayExpressionError, type RetryDelayFn } from "./retry-delay-expression.js";
export { signDelivery } from "./signature.js";
