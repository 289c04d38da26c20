// Installs the workspace on a fresh clone so that `npm run demo` / `npm test` work with only Node and npm.
// pnpm itself comes from the npm registry through npx; nothing happens when node_modules is already there.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const installed = existsSync(new URL("../node_modules/.modules.yaml", import.meta.url));
if (!installed) {
  console.log("switchyard: installing the workspace (first run) ...");
  execSync("npx -y pnpm@12.4.2 install --frozen-lockfile", {
    stdio: "inherit",
    cwd: new URL("..", import.meta.url),
  });
}
