/**
 * Test-only workaround, imported first by the Trigger emulator tests.
 *
 * The root vitest.config.ts resolves with the "module" condition, and vitest forwards its
 * conditions to Node (`--conditions module`). @opentelemetry/* (a dependency of @trigger.dev/sdk)
 * maps "module" to a bundler-only ESM build with extensionless imports, which Node cannot load.
 * This drops "module" for @opentelemetry/* specifiers (ESM resolve hook) and maps CJS requires
 * back to their CommonJS build. Remove it once the vitest config stops passing "module".
 */
import { existsSync } from "node:fs";
import Module, { register } from "node:module";

const esmHook = `
export async function resolve(specifier, context, next) {
  if (specifier.startsWith("@opentelemetry/") && context.conditions.includes("module")) {
    return next(specifier, { ...context, conditions: context.conditions.filter((c) => c !== "module") });
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(esmHook)}`);

type ResolveFilename = (request: string, ...rest: unknown[]) => string;
const cjsModule = Module as unknown as { _resolveFilename: ResolveFilename };
const resolveFilename = cjsModule._resolveFilename;
cjsModule._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  const resolved = resolveFilename.call(this, request, ...rest);
  if (request.startsWith("@opentelemetry/") && resolved.includes("/build/esm/")) {
    const commonJs = resolved.replace("/build/esm/", "/build/src/");
    if (existsSync(commonJs)) return commonJs;
  }
  return resolved;
};
