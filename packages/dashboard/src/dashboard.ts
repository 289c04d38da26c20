// dashboard(jobs, options): the whole dashboard as one Web `Request => Response` function.
import { ConfigError, type Switchyard } from "@switchyard/core";
import { describeValue } from "@switchyard/core/adapter";
import { actionRoute, errorResponse, problem, readRoute } from "./api.js";
import { CSRF_HEADER, CsrfTokens, sameOrigin } from "./csrf.js";
import { isLoopbackAddress, isLoopbackHost } from "./local-only.js";
import { offersOf } from "./offers.js";
import { type DashboardOptions, type ResolvedDashboardOptions, resolveOptions } from "./options.js";
import { redactor } from "./redact.js";
import { currentSocketAddress } from "./socket-address.js";
import { dashboardPage } from "./ui/page.js";
import { DASHBOARD_SCRIPT } from "./ui/script.js";
import { DASHBOARD_STYLE } from "./ui/style.js";

/** Headers on every answer: no framing, no sniffing, no referrer, and a page that loads only its own files. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/**
 * The dashboard as a Web handler: mount it like `jobs.handler()` (a Next.js route, Hono, or Express
 * and Fastify through `toNodeHandler`) at `basePath`, for GET and POST. It refuses to be created
 * without `authorize` unless `localOnly` is true (ConfigError).
 */
export function dashboard(
  jobs: Switchyard,
  options: DashboardOptions,
): (request: Request) => Promise<Response> {
  if (typeof jobs !== "object" || jobs === null || typeof jobs.get !== "function" || !jobs.capabilities) {
    throw new ConfigError(
      `dashboard(): the first argument must be the client made by createSwitchyard(), got ${describeValue(jobs)}`,
    );
  }
  const resolved = resolveOptions(options);
  const context = {
    jobs,
    offers: offersOf(jobs.capabilities, resolved.readOnly),
    redact: redactor(resolved.redact),
  };
  const tokens = new CsrfTokens(resolved.csrfSecret);

  async function answer(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const { basePath } = resolved;
    if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
      return problem(404, `the dashboard is mounted at ${basePath || "/"}`);
    }
    const refusal = await refuse(request, resolved);
    if (refusal) return refusal;
    const rest = url.pathname.slice(basePath.length);
    if (request.method === "GET" || request.method === "HEAD") {
      if (rest === "") return new Response(null, { status: 308, headers: { location: `${basePath}/` } });
      if (rest === "/") return page(dashboardPage({ basePath, csrfToken: tokens.issue() }));
      if (rest === "/assets/dashboard.js") return asset(DASHBOARD_SCRIPT, "text/javascript");
      if (rest === "/assets/dashboard.css") return asset(DASHBOARD_STYLE, "text/css");
      if (rest.startsWith("/api/")) {
        const found = await readRoute(context, rest.slice("/api/".length), url);
        if (found) return found;
      }
      return problem(404, "no such page");
    }
    if (request.method === "POST") {
      if (!rest.startsWith("/api/")) return problem(404, "no such action");
      if (!sameOrigin(request, resolved.allowedOrigins)) {
        return problem(403, "cross-origin request refused: actions are taken from the dashboard's own page");
      }
      if (!tokens.verify(request.headers.get(CSRF_HEADER))) {
        return problem(403, "missing or expired CSRF token: reload the dashboard");
      }
      if (resolved.readOnly) return problem(403, "the dashboard is read-only");
      return (await actionRoute(context, rest.slice("/api/".length), url)) ?? problem(404, "no such action");
    }
    return new Response(null, { status: 405, headers: { allow: "GET, HEAD, POST" } });
  }

  return async (request) => {
    let response: Response;
    try {
      response = await answer(request);
    } catch (error) {
      response = errorResponse(error);
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
    return response;
  };
}

/** localOnly first (403), then authorize (401); undefined lets the request in. */
async function refuse(request: Request, options: ResolvedDashboardOptions): Promise<Response | undefined> {
  if (options.localOnly) {
    const address = options.clientAddress ? options.clientAddress(request) : currentSocketAddress();
    if (
      !isLoopbackAddress(address) ||
      !isLoopbackHost(request.headers.get("host") ?? new URL(request.url).host)
    ) {
      return problem(403, "this dashboard serves only requests from this machine (localOnly)");
    }
  }
  if (options.authorize) {
    let allowed: boolean;
    try {
      allowed = (await options.authorize(request)) === true;
    } catch {
      // Its message may say more about the auth setup than an unauthenticated caller should see.
      return problem(500, "authorize() threw: the request is refused");
    }
    if (!allowed) return problem(401, "not authorized to see the dashboard");
  }
  return undefined;
}

function page(html: string): Response {
  return new Response(html, {
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

function asset(body: string, type: string): Response {
  return new Response(body, {
    headers: { "content-type": `${type}; charset=utf-8`, "cache-control": "no-cache" },
  });
}
