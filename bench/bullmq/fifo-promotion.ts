// A minimal reproduction, for BullMQ's maintainers, of the garbage promotion traced in the adapter's c=50
// gap (packages/adapter-bullmq/README.md, Benchmark): BullMQ's AsyncFifoQueue (the worker's main loop
// queue, `Worker.mainLoopQueue`) keeps resolved values in a linked list whose `shift()` leaves the removed
// node's `next` set. Once one removed node is promoted to old space, it keeps its successor alive through
// the next scavenge (an old-to-new pointer), which is then promoted too, and so on while the queue never
// runs empty ("GC nepotism"): every value that goes through the queue is promoted, and the process pays
// for it in scavenges and full GCs. Clearing `next` in `shift()` ends the chain.
//
//   node --import tsx bench/bullmq/fifo-promotion.ts
//
// runs the same loop twice in child processes under --trace-gc-nvp, with BullMQ's queue as shipped and
// with `shift()` clearing `next` (patched on the instance here, for the comparison only), and prints the
// bytes promoted by scavenges in each. No Redis needed.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AsyncFifoQueue } from "bullmq";

const ITEMS = 300_000;
const IN_FLIGHT = 50;

async function loop(patched: boolean): Promise<void> {
  const queue = new AsyncFifoQueue<{ id: number; body: number[] }>();
  if (patched) {
    const list = (queue as unknown as { queue: { shift(): { next: unknown } | null } }).queue;
    const shift = list.shift.bind(list);
    list.shift = () => {
      const node = shift();
      if (node) node.next = null;
      return node;
    };
  }
  const value = (id: number) => ({ id, body: Array.from({ length: 16 }, (_, i) => i + id) });
  // One value that stays queued across a few scavenges, as a slow job's result does: it is promoted.
  queue.add(new Promise((resolve) => setTimeout(() => resolve(value(-1)), 50)));
  for (let id = 0; id < IN_FLIGHT; id++) queue.add(Promise.resolve(value(id)));
  for (let id = IN_FLIGHT; id < ITEMS; id++) {
    if (id === IN_FLIGHT) await new Promise((resolve) => setTimeout(resolve, 100));
    await queue.fetch();
    queue.add(Promise.resolve(value(id))); // the queue never runs empty, as a busy worker's
  }
}

if (process.argv[2] === "child") {
  await loop(process.argv[3] === "patched");
} else {
  const self = fileURLToPath(import.meta.url);
  for (const mode of ["as shipped", "patched"]) {
    const child = spawnSync(
      process.execPath,
      ["--trace-gc-nvp", "--import", "tsx", self, "child", mode === "patched" ? "patched" : "stock"],
      { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
    );
    const scavenges = child.stdout.split("\n").filter((line) => line.includes("gc=s "));
    const promoted = scavenges.reduce((sum, line) => sum + Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0), 0);
    const fullGcs = child.stdout.split("\n").filter((line) => /gc=(mc|ms)\b/.test(line)).length;
    console.log(
      `${mode}: ${ITEMS} values through AsyncFifoQueue, ${scavenges.length} scavenges promoted ${(promoted / 1e6).toFixed(1)} MB, ${fullGcs} full GCs`,
    );
  }
}
