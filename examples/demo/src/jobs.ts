import { type Capabilities, defineJob, deliverWebhook, type ScheduleSpec } from "@switchyard/core";
import { z } from "zod";
import type { FakeEmailProvider } from "./fake-email-provider.js";

/** Counters the demo prints; handlers and the receiver update them. */
export interface DemoStats {
  reports: number;
}

export function emailJob(provider: FakeEmailProvider) {
  return defineJob({
    name: "email.send",
    schema: z.object({ to: z.email(), subject: z.string().min(1) }),
    retry: {
      maxAttempts: 4,
      backoff: { type: "exponential", delay: "200ms", factor: 2, max: "2s" },
      jitter: 0.2,
    },
    idempotencyKey: (email) => `email:${email.to}:${email.subject}`,
    handler: async (email, ctx) => {
      const { messageId } = await provider.send(email.to, email.subject);
      ctx.log.info(`sent ${email.subject} to ${email.to} (attempt ${ctx.attempt})`);
      return { messageId };
    },
  });
}

export function webhookJob(secret: string) {
  return defineJob({
    name: "webhook.deliver",
    schema: z.object({
      url: z.url(),
      event: z.string(),
      data: z.record(z.string(), z.unknown()),
      deliveryId: z.string(),
    }),
    retry: { maxAttempts: 5, backoff: { type: "fixed", delay: "300ms" } },
    handler: async (delivery, ctx) => {
      // One attempt per job attempt: the job's own retry policy does the retrying.
      const response = await deliverWebhook({
        url: delivery.url,
        secret,
        payload: { event: delivery.event, data: delivery.data },
        idempotencyKey: delivery.deliveryId,
        maxAttempts: 1,
        signal: ctx.signal,
      });
      return { status: response.status };
    },
  });
}

/** Every 2 s in demo mode, with the quickest form the backend supports. */
function demoSchedule(capabilities: Capabilities): ScheduleSpec<{ title: string }> {
  const payload = { title: "signups per hour" };
  if (capabilities.features["schedule.every"] !== "unsupported") return { every: "2s", payload };
  return { cron: "*/2 * * * * *", payload };
}

export function reportJob(capabilities: Capabilities, stats: DemoStats) {
  return defineJob({
    name: "report.hourly",
    schema: z.object({ title: z.string() }),
    schedule: demoSchedule(capabilities),
    handler: (report, ctx) => {
      stats.reports++;
      ctx.log.info(`report "${report.title}" #${stats.reports} generated`);
    },
  });
}
