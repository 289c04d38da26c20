export type { AttemptReport } from "./attempt-response.js";
export { fromEnv, QSTASH_ENV } from "./from-env.js";
export { QSTASH_API_ERROR_CODE, QStashApiError } from "./qstash-api-error.js";
export { qstash } from "./qstash-backend.js";
export { QSTASH_DEDUPLICATION_WINDOW_MS, qstashCapabilities } from "./qstash-capabilities.js";
export type { QStashBackendOptions } from "./qstash-options.js";
