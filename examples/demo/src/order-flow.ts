// The order flow of the demo, written with durable steps: confirmation email, shipping label, a wait
// for payment clearance that frees the worker, a child job that charges the card, a tracking email.
// A failure in a later step never sends the confirmation email twice.
import { defineJob } from "@switchyard/core";
import { z } from "zod";
import type { FakeEmailProvider } from "./fake-email-provider.js";

/** What the demo prints about the order flow. */
export interface OrderStats {
  labels: number;
  charges: number;
}

export function orderJobs(provider: FakeEmailProvider, stats: OrderStats) {
  const chargeCard = defineJob({
    name: "payment.charge",
    schema: z.object({ orderId: z.string(), cents: z.number().int().positive() }),
    retry: { maxAttempts: 3, backoff: { type: "fixed", delay: "200ms" } },
    handler: async (charge) => {
      stats.charges++;
      return { chargeId: `ch_${charge.orderId}`, cents: charge.cents };
    },
  });

  const fulfilOrder = defineJob({
    name: "order.fulfil",
    schema: z.object({ orderId: z.string(), email: z.email(), cents: z.number().int().positive() }),
    // The provider fails some first tries: the retries replay the stored steps, never re-run them.
    retry: { maxAttempts: 5, backoff: { type: "fixed", delay: "200ms" } },
    async handler(order, ctx) {
      await ctx.step.run("send-confirmation", () =>
        provider.send(order.email, `Order ${order.orderId} confirmed`),
      );
      const label = await ctx.step.run("create-label", () => {
        stats.labels++;
        return { tracking: `1Z${order.orderId.toUpperCase()}` };
      });
      await ctx.step.sleep("wait-for-payment", "1s"); // "3h" in real life: the worker is free meanwhile
      const charge = await ctx.step.invoke("charge", chargeCard, {
        orderId: order.orderId,
        cents: order.cents,
      });
      await ctx.step.run("send-tracking", () =>
        provider.send(order.email, `Order ${order.orderId} shipped: ${label.tracking}`),
      );
      return { tracking: label.tracking, chargeId: charge.chargeId };
    },
  });

  return { chargeCard, fulfilOrder };
}
