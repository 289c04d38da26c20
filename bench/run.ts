// `pnpm bench [backend ...]`: runs each named backend's benchmark (default: all), prints a short table and
// writes bench/results/<backend>.json (bench/README.md explains the rows and how to read a ratio).
// The packages are measured as users run them: built to dist/ (`pnpm bench` builds first), not through
// a TypeScript loader, whose transforms (for example esbuild's keepNames wrappers) cost time per job.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchResult, BenchSuite } from "./bench-result.js";
import { formatTable } from "./print-table.js";

const here = dirname(fileURLToPath(import.meta.url));
const ALL = ["memory", "bullmq", "bullmq-postgres", "postgres"];
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

const requested = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const unknown = requested.filter((name) => !ALL.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(", ")}; known: ${ALL.join(", ")}`);
  process.exit(2);
}
const names = (requested.length > 0 ? requested : ALL).filter((name) =>
  existsSync(join(here, name, "index.ts")),
);
mkdirSync(join(here, "results"), { recursive: true });

for (const name of names) {
  console.log(`bench ${name}: ${rounds} rounds ...`);
  const suite = (await import(join(here, name, "index.ts"))).default as BenchSuite;
  const result: BenchResult = {
    backend: name,
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    results: await suite({ rounds }),
  };
  const file = join(here, "results", `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(formatTable(name, result.results));
  console.log(`wrote ${file}`);
}
process.exit(0);
