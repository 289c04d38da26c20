export { fromEnv } from "./from-env.js";
export { type PostgresBackend, postgres } from "./postgres-backend.js";
export { postgresCapabilities } from "./postgres-capabilities.js";
export type { PostgresOptions } from "./postgres-options.js";
export type { PostgresWorkerHandle } from "./postgres-worker.js";
export {
  enqueueInTransaction,
  enqueueManyInTransaction,
  type TransactionClient,
} from "./transaction-scope.js";
