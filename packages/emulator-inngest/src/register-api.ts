import type { IncomingMessage, ServerResponse } from "node:http";
import type { FunctionConfigWire } from "./function-config.js";
import { readBody, sendJson, tryParseJson } from "./http-io.js";
import { isAuthorizedBearer } from "./signing-key.js";

/** Applies a sync; throws with a message to refuse it. */
export type ApplySync = (appId: string, url: string, functions: FunctionConfigWire[]) => void;

/**
 * `POST /fn/register`, the out-of-band sync the SDK makes when its serve
 * handler receives a `PUT` (I:components/InngestCommHandler.js:1350-1436).
 * Body: `{url, appName, functions, …}` (`registerBody`, same file
 * :1249-1266), bearer = hashed signing key. The SDK only reads the JSON
 * answer, with defaults `{status: 200, modified: false, error: "Successfully
 * registered"}` (same file :35-40); errors follow the server's `{error,
 * status}` shape (G:pkg/publicerr).
 */
export async function handleRegisterApi(
  req: IncomingMessage,
  res: ServerResponse,
  signingKey: string,
  apply: ApplySync,
): Promise<void> {
  if (!isAuthorizedBearer(req.headers.authorization, signingKey)) {
    sendJson(res, 401, { status: 401, error: "Invalid signing key" });
    return;
  }
  const body = tryParseJson(await readBody(req)) as
    | { url?: unknown; appName?: unknown; functions?: unknown }
    | undefined;
  if (
    !body ||
    typeof body.url !== "string" ||
    typeof body.appName !== "string" ||
    !Array.isArray(body.functions)
  ) {
    sendJson(res, 400, { status: 400, error: "Register body needs url, appName and functions" });
    return;
  }
  try {
    apply(body.appName, body.url, body.functions as FunctionConfigWire[]);
  } catch (error) {
    sendJson(res, 400, { status: 400, error: error instanceof Error ? error.message : String(error) });
    return;
  }
  sendJson(res, 200, { ok: true, modified: true });
}
