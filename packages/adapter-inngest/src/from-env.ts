import type { Backend } from "@switchyard/core";
import { inngest } from "./inngest-backend.js";

type Env = Record<string, string | undefined>;

/**
 * The backend `SWITCHYARD_BACKEND=inngest` selects, from Inngest's own variables:
 * `INNGEST_EVENT_KEY`, `INNGEST_SIGNING_KEY`, `INNGEST_BASE_URL`, `INNGEST_DEV` (`1`/`true` for
 * the Dev Server, or its URL) and `INNGEST_APP_ID` (default `switchyard`). Without `INNGEST_DEV`
 * the backend is in cloud mode: it needs the signing key and every call is checked against it.
 */
export function fromEnv(env: Env = process.env): Backend {
  const dev = devMode(env.INNGEST_DEV);
  const baseUrl = env.INNGEST_BASE_URL?.trim() || dev.url;
  return inngest({
    appId: env.INNGEST_APP_ID?.trim() || "switchyard",
    isDev: dev.isDev,
    ...(env.INNGEST_EVENT_KEY?.trim() ? { eventKey: env.INNGEST_EVENT_KEY.trim() } : {}),
    ...(env.INNGEST_SIGNING_KEY?.trim() ? { signingKey: env.INNGEST_SIGNING_KEY.trim() } : {}),
    ...(baseUrl ? { baseUrl } : {}),
  });
}

/** `INNGEST_DEV` as the SDK reads it: a boolean, or the Dev Server's URL (which means dev mode). */
function devMode(value: string | undefined): { isDev: boolean; url?: string } {
  const text = value?.trim().toLowerCase() ?? "";
  if (text === "" || text === "0" || text === "false") return { isDev: false };
  if (text === "1" || text === "true") return { isDev: true };
  try {
    return { isDev: true, url: new URL(value?.trim() ?? "").href };
  } catch {
    return { isDev: false };
  }
}
