export { InngestExecutor, startInngestExecutor, type WaitOptions } from "./executor.js";
export {
  type FetchHandler,
  type FetchHandlerServer,
  startFetchHandlerServer,
} from "./fetch-handler-server.js";
export { hashSigningKey, signRequestBody } from "./signing-key.js";
export type {
  EventRecord,
  InngestEvent,
  InngestExecutorOptions,
  InvocationRecord,
  RunSnapshot,
  RunStatus,
  SyncedFunction,
  SyncResult,
} from "./types.js";
