// The demo's order flow (src/order-flow.ts: two step.runs, a sleep, an invoke of the charge job, a
// last step.run) on Inngest, through the local Inngest executor: the real inngest SDK on both sides,
// signatures checked. The demo's main program needs a worker (jobs.work), which an HTTP backend has
// not; this test mounts jobs.handler() as an app would.

import { inngest } from "@switchyard/adapter-inngest";
import { createSwitchyard, type Switchyard, silentLogger } from "@switchyard/core";
import {
  type FetchHandlerServer,
  type InngestExecutor,
  startFetchHandlerServer,
  startInngestExecutor,
} from "@switchyard/emulator-inngest";
import { afterEach, describe, expect, it } from "vitest";
import { FakeEmailProvider } from "../src/fake-email-provider.js";
import { type OrderStats, orderJobs } from "../src/order-flow.js";

const sdkSilent = { info() {}, warn() {}, error() {}, debug() {} };
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function waitForState(jobs: Switchyard, id: string, state: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = await jobs.get(id);
    if (snapshot?.state === state) return snapshot;
    if (Date.now() > deadline) throw new Error(`job ${id} is ${snapshot?.state}, not ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the demo's order flow on Inngest (local executor)", () => {
  it("fulfils three orders: each confirmation and tracking email sent once, each card charged once", {
    timeout: 60_000,
  }, async () => {
    const executor: InngestExecutor = await startInngestExecutor({ retryJitter: false });
    closing.push(() => executor.close());
    const provider = new FakeEmailProvider();
    const stats: OrderStats = { labels: 0, charges: 0 };
    const { chargeCard, fulfilOrder } = orderJobs(provider, stats);
    const jobs = createSwitchyard({
      backend: inngest({
        appId: "demo-orders",
        baseUrl: executor.url,
        signingKey: executor.signingKey,
        eventKey: executor.eventKey,
        isDev: false,
        logger: sdkSilent,
      }),
      jobs: [chargeCard, fulfilOrder],
      logger: silentLogger,
    });
    closing.push(() => jobs.close());
    const app: FetchHandlerServer = await startFetchHandlerServer(jobs.handler());
    closing.push(() => app.close());
    await executor.sync(app.url);

    const orders = await Promise.all(
      ["a1", "b2", "c3"].map((id) =>
        jobs.enqueue(fulfilOrder, { orderId: id, email: `buyer-${id}@example.com`, cents: 4_200 }),
      ),
    );
    const done = await Promise.all(orders.map(({ id }) => waitForState(jobs, id, "completed", 45_000)));

    expect(done.map((snapshot) => snapshot.result)).toEqual([
      { tracking: "1ZA1", chargeId: "ch_a1" },
      { tracking: "1ZB2", chargeId: "ch_b2" },
      { tracking: "1ZC3", chargeId: "ch_c3" },
    ]);
    // The provider fails the first try of every third message: that step is retried on its own,
    // and no email goes out twice.
    const confirmations = provider.sent.filter((line) => line.includes("confirmed"));
    const tracking = provider.sent.filter((line) => line.includes("shipped"));
    expect(confirmations).toHaveLength(3);
    expect(new Set(confirmations).size).toBe(3);
    expect(tracking).toHaveLength(3);
    expect(stats).toEqual({ labels: 3, charges: 3 });
    // Each order's charge ran as an Inngest run of its own, invoked by the order's run.
    const charges = executor.runs({ functionId: "payment.charge" });
    expect(charges.map((run) => run.event.name)).toEqual(Array(3).fill("inngest/function.invoked"));
    expect(charges.every((run) => run.status === "Completed")).toBe(true);
  });
});
