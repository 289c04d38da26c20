// Vitest passes the root config's resolve conditions ("module", "node", "import", ...) to its workers as
// `node --conditions`, so pg's CommonJS `require("pg-pool")` matches pg-pool's "import" export and gets
// an ES module namespace instead of the Pool class ("Class extends value [object Module]"). Until the
// root config drops "import" from ssr.resolve.conditions, send that one require to pg-pool's CommonJS
// entry. Import this module before anything that loads pg. Production code is not affected.
import Module from "node:module";

type Resolve = (request: string, parent: unknown, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: Resolve };
const resolve = moduleInternals._resolveFilename;
moduleInternals._resolveFilename = function (this: unknown, request, parent, ...rest) {
  const resolved = resolve.call(this, request, parent, ...rest);
  return request === "pg-pool" && /[\\/]esm[\\/]index\.mjs$/.test(resolved)
    ? resolved.replace(/[\\/]esm[\\/]index\.mjs$/, "/index.js")
    : resolved;
};
