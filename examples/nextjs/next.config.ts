import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const config: NextConfig = {
  // The workspace's root: the app imports packages linked from outside this folder.
  turbopack: { root: join(dirname(fileURLToPath(import.meta.url)), "../..") },
};

export default config;
