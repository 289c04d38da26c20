// The options of dashboard(): their type (each default in its JSDoc) and their validation, done once
// when dashboard() is called. Every message reads `dashboard(): <option> must ..., got <value>`.
import { ConfigError } from "@switchyard/core";
import { checkOptions, describeValue } from "@switchyard/core/adapter";

/** Replaces a job's payload before it leaves the server; gets the payload and the job's name. */
export type RedactFunction = (payload: unknown, job: string) => unknown;

export interface DashboardOptions {
  /**
   * Decides whether a request may see the dashboard (every page, file and API call goes through it):
   * true lets it in, false answers 401. Check your session cookie or header here. Required unless
   * `localOnly` is true; with both, a request must pass both. Default: none.
   */
  authorize?: (request: Request) => boolean | Promise<boolean>;
  /**
   * Serves only requests from this machine, without `authorize`. A request passes when its client
   * address is loopback (127.0.0.0/8, ::1) and its Host names a loopback host (localhost, 127.x, [::1]),
   * which turns away DNS-rebinding pages. A Web Request carries no client address: it comes from
   * `clientAddress`, or from `serveDashboard()`, which knows the socket; without either every request
   * is refused (403). The Host header alone is no proof: a reverse proxy on this machine forwards
   * remote requests from a loopback address, so never put one in front of a local-only dashboard.
   * Default false.
   */
  localOnly?: boolean;
  /**
   * The client's IP address for `localOnly`, for mounts that know it (your server's socket).
   * Default: the address `serveDashboard()` saw, else none.
   */
  clientAddress?: (request: Request) => string | undefined;
  /** Shows jobs without retry, cancel or retry-all: those buttons are gone and their requests get 403. Default false. */
  readOnly?: boolean;
  /**
   * Payload fields never sent to the browser: dotted paths from the payload's root (`"password"`,
   * `"card.number"`, `"items.*.token"`; `*` is any key or array index) whose values become
   * `"[redacted]"`, or a function that returns what to show instead of the payload. Applies to job and
   * schedule payloads. Default: payloads are shown as stored.
   */
  redact?: ReadonlyArray<string> | RedactFunction;
  /**
   * The path the dashboard is mounted at, as the request URL shows it: `"/admin/jobs"` serves the page
   * at `/admin/jobs/` and its API under `/admin/jobs/api/`. Default `"/"`.
   */
  basePath?: string;
  /**
   * Origins allowed to send state-changing requests, besides the request URL's own origin (add your
   * public origin when a proxy rewrites the Host). Default: the request URL's origin only.
   */
  allowedOrigins?: ReadonlyArray<string>;
  /**
   * The key that signs CSRF tokens. Give every instance of a deployment the same one (at least 32
   * characters) so a token from one instance passes on another. Default: random per handler.
   */
  csrfSecret?: string;
}

export interface ResolvedDashboardOptions {
  authorize?: (request: Request) => boolean | Promise<boolean>;
  localOnly: boolean;
  clientAddress?: (request: Request) => string | undefined;
  readOnly: boolean;
  redact?: ReadonlyArray<string> | RedactFunction;
  /** No trailing slash; "" for the root. */
  basePath: string;
  allowedOrigins: ReadonlyArray<string>;
  csrfSecret?: string;
}

const OPTION_KEYS = [
  "authorize",
  "localOnly",
  "clientAddress",
  "readOnly",
  "redact",
  "basePath",
  "allowedOrigins",
  "csrfSecret",
];
const BASE_PATH = /^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?\/?$/;

export function resolveOptions(options: DashboardOptions | undefined): ResolvedDashboardOptions {
  const checked = checkOptions(options, "dashboard()", OPTION_KEYS);
  const { authorize, clientAddress, redact, csrfSecret } = checked;
  if (authorize !== undefined && typeof authorize !== "function") {
    throw optionError("authorize", "a function (request) => boolean", authorize);
  }
  if (clientAddress !== undefined && typeof clientAddress !== "function") {
    throw optionError("clientAddress", "a function (request) => string | undefined", clientAddress);
  }
  const localOnly = checkBoolean(checked.localOnly, "localOnly");
  if (!authorize && !localOnly) {
    throw new ConfigError(
      "dashboard(): give authorize(request) to decide who may see and act on jobs, or localOnly: true to serve only this machine; the dashboard does not start open",
    );
  }
  if (redact !== undefined && typeof redact !== "function") {
    if (!Array.isArray(redact) || redact.some((path) => typeof path !== "string" || !validPath(path))) {
      throw optionError("redact", 'an array of dotted paths such as "card.number", or a function', redact);
    }
  }
  const basePath = checked.basePath ?? "/";
  if (typeof basePath !== "string" || !BASE_PATH.test(basePath)) {
    throw optionError("basePath", 'a path such as "/admin/jobs"', basePath);
  }
  const allowedOrigins = checked.allowedOrigins ?? [];
  if (!Array.isArray(allowedOrigins) || allowedOrigins.some((origin) => !isOrigin(origin))) {
    throw optionError("allowedOrigins", 'an array of origins such as "https://example.com"', allowedOrigins);
  }
  if (csrfSecret !== undefined && (typeof csrfSecret !== "string" || csrfSecret.length < 32)) {
    throw optionError("csrfSecret", "a string of at least 32 characters", csrfSecret);
  }
  return {
    authorize,
    localOnly,
    clientAddress,
    readOnly: checkBoolean(checked.readOnly, "readOnly"),
    redact,
    basePath: basePath.replace(/\/$/, ""),
    allowedOrigins,
    csrfSecret,
  };
}

function checkBoolean(value: unknown, name: string): boolean {
  if (value !== undefined && typeof value !== "boolean") throw optionError(name, "true or false", value);
  return value === true;
}

function validPath(path: string): boolean {
  return path !== "" && path.split(".").every((part) => part !== "");
}

function isOrigin(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

function optionError(name: string, expected: string, value: unknown): ConfigError {
  return new ConfigError(`dashboard(): ${name} must be ${expected}, got ${describeValue(value)}`);
}
