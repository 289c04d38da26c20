import { spawnSync } from "node:child_process";
import { relative } from "node:path";
import { repositoryRoot } from "./report.js";

/**
 * Compiles the TypeScript project in `folder` (its tsconfig.json) with the workspace's tsc and returns
 * the errors reported in that folder's own files. Files it imports from elsewhere (core's sources,
 * compiled along) are not judged: an app compiles against their declarations. For type tests such as
 * "the options accept process.env values under exactOptionalPropertyTypes".
 */
export function typeErrorsIn(folder: string): string[] {
  const root = repositoryRoot(folder);
  const tsc = spawnSync(`${root}/node_modules/.bin/tsc`, ["-p", folder, "--pretty", "false"], {
    cwd: root,
    encoding: "utf8",
  });
  if (tsc.error) throw tsc.error;
  const own = `${relative(root, folder)}/`;
  return tsc.stdout.split("\n").filter((line) => line.startsWith(own));
}
