// The demo's order flow (durable steps: run, sleep, invoke) on QStash, through the kit's emulator.
// The demo itself runs an in-process worker, which QStash has not: here the emulator calls the app's
// jobs.handler() route for every delivery, as QStash would call a deployed app.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { qstash } from "@switchyard/adapter-qstash";
import { createSwitchyard, silentLogger, toNodeHandler } from "@switchyard/core";
import { startQStashEmulator } from "@switchyard/emulator-qstash";
import { expect, it } from "vitest";
import { FakeEmailProvider } from "../src/fake-email-provider.js";
import { type OrderStats, orderJobs } from "../src/order-flow.js";
import { completed, ORDER_STEPS } from "./completed-order.js";

it("runs the demo's order flow on QStash (emulator): each confirmation sent once, each card charged once", {
  timeout: 60_000,
}, async () => {
  const emulator = await startQStashEmulator();
  const route = { handle: (_req: http.IncomingMessage, _res: http.ServerResponse) => Promise.resolve() };
  const server = http.createServer((req, res) => void route.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/jobs`;
  const provider = new FakeEmailProvider();
  const stats: OrderStats = { labels: 0, charges: 0 };
  const { chargeCard, fulfilOrder } = orderJobs(provider, stats);
  const client = createSwitchyard({
    backend: qstash({
      token: emulator.token,
      baseUrl: emulator.url,
      currentSigningKey: emulator.currentSigningKey,
      nextSigningKey: emulator.nextSigningKey,
      url,
    }),
    jobs: [chargeCard, fulfilOrder],
    logger: silentLogger,
  });
  route.handle = toNodeHandler(client.handler());
  try {
    const ids = ["a1", "b2", "c3"].map((id) => `${id}-qstash`);
    const enqueued = await Promise.all(
      ids.map((orderId) =>
        client.enqueue(fulfilOrder, { orderId, email: `buyer-${orderId}@example.com`, cents: 4_200 }),
      ),
    );
    const orders = await Promise.all(enqueued.map(({ id }) => completed(client, id)));

    // QStash keeps no job results: the tracking email shows what the steps handed on.
    for (const orderId of ids)
      expect(provider.sent).toContain(
        `buyer-${orderId}@example.com: Order ${orderId} shipped: 1Z${orderId.toUpperCase()}`,
      );
    for (const order of orders) expect(order.steps).toEqual(ORDER_STEPS);
    // The provider fails the first try of every third message: those orders were retried, and
    // replayed their stored steps instead of running them again.
    expect(orders.some((order) => order.attempts > 1)).toBe(true);
    expect(provider.sent.filter((line) => line.includes("confirmed"))).toHaveLength(3);
    expect(provider.sent.filter((line) => line.includes("shipped"))).toHaveLength(3);
    expect(stats.labels).toBe(3);
    expect(stats.charges).toBe(3);
  } finally {
    await client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await emulator.close();
  }
});
