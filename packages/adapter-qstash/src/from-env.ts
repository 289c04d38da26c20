import { type Backend, ConfigError } from "@switchyard/core";
import { qstash } from "./qstash-backend.js";

type Env = Record<string, string | undefined>;

/** The variables `fromEnv` reads, required first. */
export const QSTASH_ENV = {
  token: "QSTASH_TOKEN",
  currentSigningKey: "QSTASH_CURRENT_SIGNING_KEY",
  nextSigningKey: "QSTASH_NEXT_SIGNING_KEY",
  url: "SWITCHYARD_PUBLIC_URL",
  baseUrl: "QSTASH_URL",
  namespace: "SWITCHYARD_QSTASH_NAMESPACE",
} as const;

/**
 * The backend `SWITCHYARD_BACKEND=qstash` selects: `QSTASH_TOKEN`, `QSTASH_CURRENT_SIGNING_KEY`,
 * `QSTASH_NEXT_SIGNING_KEY` and `SWITCHYARD_PUBLIC_URL` (the public URL of `jobs.handler()`) are
 * required; `QSTASH_URL` (default: QStash's own API) and `SWITCHYARD_QSTASH_NAMESPACE` (default
 * `"switchyard"`) are optional. A missing variable is a ConfigError naming all the missing ones.
 */
export function fromEnv(env: Env = process.env): Backend {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };
  const required = [
    QSTASH_ENV.token,
    QSTASH_ENV.currentSigningKey,
    QSTASH_ENV.nextSigningKey,
    QSTASH_ENV.url,
  ];
  const missing = required.filter((name) => read(name) === undefined);
  if (missing.length > 0) {
    throw new ConfigError(
      `SWITCHYARD_BACKEND=qstash needs ${missing.join(", ")} (SWITCHYARD_PUBLIC_URL is the public URL of the route serving jobs.handler())`,
    );
  }
  const baseUrl = read(QSTASH_ENV.baseUrl);
  const namespace = read(QSTASH_ENV.namespace);
  return qstash({
    token: read(QSTASH_ENV.token)!,
    currentSigningKey: read(QSTASH_ENV.currentSigningKey)!,
    nextSigningKey: read(QSTASH_ENV.nextSigningKey)!,
    url: read(QSTASH_ENV.url)!,
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(namespace === undefined ? {} : { namespace }),
  });
}
