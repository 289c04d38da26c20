// The demo's order flow (durable steps: run, sleep, invoke) on Trigger.dev, through the kit's
// emulator. The demo itself runs an in-process worker, which a managed backend has not: here the
// emulator runs the tasks toTriggerTasks defines, as Trigger.dev would after a deploy.
// The emulator must load before @trigger.dev/sdk (the adapter imports it).
import "@switchyard/emulator-trigger";
import { toTriggerTasks, trigger } from "@switchyard/adapter-trigger";
import { createSwitchyard, silentLogger } from "@switchyard/core";
import { startTriggerEmulator } from "@switchyard/emulator-trigger";
import { expect, it } from "vitest";
import { FakeEmailProvider } from "../src/fake-email-provider.js";
import { type OrderStats, orderJobs } from "../src/order-flow.js";
import { completed, ORDER_STEPS } from "./completed-order.js";

it("runs the demo's order flow on Trigger.dev (emulator): each confirmation sent once, each card charged once", {
  timeout: 60_000,
}, async () => {
  const emulator = await startTriggerEmulator();
  const provider = new FakeEmailProvider();
  const stats: OrderStats = { labels: 0, charges: 0 };
  const { chargeCard, fulfilOrder } = orderJobs(provider, stats);
  const client = createSwitchyard({
    backend: trigger({ secretKey: emulator.secretKey, baseURL: emulator.url }),
    jobs: [chargeCard, fulfilOrder],
    logger: silentLogger,
  });
  try {
    emulator.deploy(Object.values(toTriggerTasks(client)));
    const ids = ["a1", "b2", "c3"].map((id) => `${id}-trigger`);
    const enqueued = await Promise.all(
      ids.map((orderId) =>
        client.enqueue(fulfilOrder, { orderId, email: `buyer-${orderId}@example.com`, cents: 4_200 }),
      ),
    );
    const orders = await Promise.all(enqueued.map(({ id }) => completed(client, id)));

    expect(orders.map((order) => order.result)).toEqual(
      ids.map((orderId) => ({ tracking: `1Z${orderId.toUpperCase()}`, chargeId: `ch_${orderId}` })),
    );
    for (const order of orders) expect(order.steps).toEqual(ORDER_STEPS);
    // The provider fails the first try of every third message: those orders were retried, and
    // replayed their stored steps instead of running them again.
    expect(orders.some((order) => order.attempts > 1)).toBe(true);
    expect(provider.sent.filter((line) => line.includes("confirmed"))).toHaveLength(3);
    expect(provider.sent.filter((line) => line.includes("shipped"))).toHaveLength(3);
    expect(stats.labels).toBe(3);
    expect(stats.charges).toBe(3);
    expect(emulator.listRuns({ taskIdentifier: chargeCard.name })).toHaveLength(3);
  } finally {
    await client.close();
    await emulator.close();
  }
});
