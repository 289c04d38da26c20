import { ConfigError } from "@switchyard/core";
import {
  checkHttpUrl,
  checkOptions,
  describeValue,
  optionalText,
  toMilliseconds,
} from "@switchyard/core/adapter";
import { Inngest } from "inngest";
import type { InngestBackendOptions } from "./inngest-options.js";
import { observingFetch } from "./send-tries.js";

/** `inngest()`'s options, checked once. */
export interface ResolvedInngestOptions {
  client: Inngest.Any;
  /**
   * Whether the adapter made the client: then its fetch is `observingFetch`, and a failed send knows
   * whether any of the SDK's tries may have stored the events.
   */
  ownClient: boolean;
  runCreationWaitMs: number;
}

const WHERE = "inngest()";
const OPTION_KEYS = [
  "client",
  "appId",
  "eventKey",
  "signingKey",
  "baseUrl",
  "isDev",
  "logger",
  "runCreationWait",
];
/** The settings a client carries itself. */
const CLIENT_SETTINGS = ["appId", "eventKey", "signingKey", "baseUrl", "isDev", "logger"] as const;
/** A keyed enqueue or a cancel waits this long at most: it is a request's latency. */
const MAX_RUN_CREATION_WAIT_MS = 60_000;

/** Checks every option once; each problem is a ConfigError naming the option. */
export function resolveInngestOptions(options: InngestBackendOptions): ResolvedInngestOptions {
  const resolved = resolveClient(options);
  if (resolved.client.mode === "cloud" && !resolved.client.signingKey) {
    throw new ConfigError(
      `${WHERE}: signingKey is required in cloud mode, to check that calls come from Inngest and to use its REST API: set signingKey or INNGEST_SIGNING_KEY (or isDev / INNGEST_DEV=1 for the Inngest Dev Server)`,
    );
  }
  return resolved;
}

function resolveClient(options: InngestBackendOptions): ResolvedInngestOptions {
  checkOptions(options, WHERE, OPTION_KEYS);
  const runCreationWaitMs = toMilliseconds(options.runCreationWait ?? "2s", `${WHERE}: runCreationWait`);
  if (runCreationWaitMs > MAX_RUN_CREATION_WAIT_MS) {
    throw new ConfigError(
      `${WHERE}: runCreationWait must be at most 1 minute (a keyed enqueue or a cancel may wait that long), got ${runCreationWaitMs} ms`,
    );
  }
  if (options.client !== undefined) {
    const given = CLIENT_SETTINGS.filter((name) => options[name] !== undefined);
    if (given.length > 0) {
      throw new ConfigError(
        `${WHERE}: give either client or ${given.join(", ")}, not both: a client you pass carries its own settings`,
      );
    }
    // By its shape, not instanceof: the app's inngest may be another copy than the adapter's.
    const { send, createFunction } = options.client as Partial<Inngest.Any>;
    if (typeof send !== "function" || typeof createFunction !== "function") {
      throw new ConfigError(
        `${WHERE}: client must be an Inngest client (new Inngest({ id })), got ${describeValue(options.client)}`,
      );
    }
    return { client: options.client, ownClient: false, runCreationWaitMs };
  }
  const appId = optionalText(options.appId, `${WHERE}: appId`) ?? "switchyard";
  const eventKey = optionalText(options.eventKey, `${WHERE}: eventKey`);
  const signingKey = optionalText(options.signingKey, `${WHERE}: signingKey`);
  const baseUrl = optionalText(options.baseUrl, `${WHERE}: baseUrl`);
  if (baseUrl !== undefined) checkHttpUrl(baseUrl, `${WHERE}: baseUrl`);
  if (options.isDev !== undefined && typeof options.isDev !== "boolean") {
    throw new ConfigError(`${WHERE}: isDev must be true or false, got ${describeValue(options.isDev)}`);
  }
  const client = new Inngest({
    id: appId,
    ...(eventKey === undefined ? {} : { eventKey }),
    ...(signingKey === undefined ? {} : { signingKey }),
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(options.isDev === undefined ? {} : { isDev: options.isDev }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    fetch: observingFetch,
  });
  return { client, ownClient: true, runCreationWaitMs };
}
