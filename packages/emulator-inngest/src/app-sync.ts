import { canonicalJson } from "./canonical-json.js";
import type { FunctionConfigWire } from "./function-config.js";
import { tryParseJson } from "./http-io.js";
import { signRequestBody } from "./signing-key.js";

/** What a sync of one serve URL produced. */
export type SyncAnswer =
  | { kind: "in_band"; appId: string; url: string; functions: FunctionConfigWire[] }
  | { kind: "out_of_band" };

/**
 * Syncs an app the way the platform does: a signed `PUT` to the serve URL.
 * It asks for an in-band sync (`X-Inngest-Sync-Kind: in_band`, body exactly
 * `{"url": …}`), where the SDK answers with its functions
 * (I:components/InngestCommHandler.js:1052-1101, 1267-1302). An SDK with
 * in-band sync disabled (`INNGEST_ALLOW_IN_BAND_SYNC=false`) instead calls
 * `POST /fn/register` before answering `{message, modified}` with the
 * register call's status (same file :1102-1117). Throws when the app refuses.
 */
export async function syncApp(serveUrl: string, signingKey: string): Promise<SyncAnswer> {
  const body = canonicalJson({ url: serveUrl });
  const response = await fetch(serveUrl, {
    method: "PUT",
    headers: {
      "content-type": "application/json",
      "x-inngest-signature": signRequestBody(body, signingKey),
      "x-inngest-sync-kind": "in_band",
      "x-inngest-server-kind": "cloud",
    },
    body,
  });
  const text = await response.text();
  const answer = tryParseJson(text) as Record<string, unknown> | undefined;
  if (response.status !== 200) {
    const message = typeof answer?.message === "string" ? answer.message : text;
    throw new Error(`Sync of ${serveUrl} failed: HTTP ${response.status} ${message}`);
  }
  if (response.headers.get("x-inngest-sync-kind") === "in_band") {
    if (!answer || typeof answer.app_id !== "string" || !Array.isArray(answer.functions)) {
      throw new Error(`Sync of ${serveUrl}: unexpected in-band answer ${text}`);
    }
    return {
      kind: "in_band",
      appId: answer.app_id,
      url: typeof answer.url === "string" ? answer.url : serveUrl,
      functions: answer.functions as FunctionConfigWire[],
    };
  }
  return { kind: "out_of_band" };
}
