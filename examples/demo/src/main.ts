// The Switchyard demo: an email queue against a flaky provider, signed webhook delivery to a receiver
// that drops duplicates, a scheduled report, and an order flow written with durable steps, on the
// backend SWITCHYARD_BACKEND names (memory by default).
import { backendFromEnv, createSwitchyard, type JobLogger, type Switchyard } from "@switchyard/core";
import { FakeEmailProvider } from "./fake-email-provider.js";
import { type DemoStats, emailJob, reportJob, webhookJob } from "./jobs.js";
import { type OrderStats, orderJobs } from "./order-flow.js";
import { printSummary } from "./summary.js";
import { startWebhookReceiver } from "./webhook-receiver.js";

const WEBHOOK_SECRET = "demo-secret";
const started = Date.now();
const quiet: JobLogger = { info() {}, warn() {}, error: (message) => console.error(`  ! ${message}`) };

const backend = await backendFromEnv().catch((error: unknown) => {
  console.error(`switchyard demo: ${(error as Error).message}`);
  process.exit(2);
});
// Idempotency keys outlive a run on a persistent backend: each run uses its own, so it does real work.
const run = Date.now().toString(36);
if (backend.capabilities.execution === "http" || backend.capabilities.execution === "managed") {
  console.error(
    `The demo runs an in-process worker; the ${backend.capabilities.backend} backend runs jobs through its platform. Run it with SWITCHYARD_BACKEND=memory, bullmq or postgres.`,
  );
  process.exit(2);
}

const provider = new FakeEmailProvider();
const receiver = await startWebhookReceiver(WEBHOOK_SECRET);
const stats: DemoStats = { reports: 0 };
const sendEmail = emailJob(provider);
const deliverHook = webhookJob(WEBHOOK_SECRET);
const report = reportJob(backend.capabilities, stats);
const orderStats: OrderStats = { labels: 0, charges: 0 };
const { chargeCard, fulfilOrder } = orderJobs(provider, orderStats);
const hasSteps = backend.capabilities.features["steps.invoke"] !== "unsupported";
const jobs = createSwitchyard({
  backend,
  jobs: [sendEmail, deliverHook, report, ...(hasSteps ? [chargeCard, fulfilOrder] : [])],
  logger: quiet,
});

console.log(`Switchyard demo on the ${backend.capabilities.backend} backend\n`);
const worker = jobs.work({ concurrency: 5 });
await worker.ready;

// 1. The email queue: eight welcome emails, one to a mailbox that does not exist, one enqueued twice.
const addresses = ["ada", "grace", "linus", "margaret", "ken", "barbara", "bounce", "ada"].map(
  (n) => `${n}@example.com`,
);
const emails = await Promise.all(
  addresses.map((to) => jobs.enqueue(sendEmail, { to, subject: `Welcome aboard (${run})` })),
);

// 2. Webhooks: four deliveries; one enqueued twice with the same idempotency key.
const events = ["order.created", "order.paid", "order.shipped", "order.paid"];
const hooks = await Promise.all(
  events.map((event, i) =>
    jobs.enqueue(
      deliverHook,
      { url: receiver.url, event, data: { orderId: 1042 }, deliveryId: `evt-1042-${event}-${run}` },
      { idempotencyKey: `evt-1042-${event}-${run}`, delay: i * 100 },
    ),
  ),
);

// 3. Orders, with durable steps: each sends its confirmation once, however often a later step fails.
const orders = hasSteps
  ? await Promise.all(
      ["a1", "b2", "c3"].map((id) =>
        jobs.enqueue(fulfilOrder, {
          orderId: `${id}-${run}`,
          email: `buyer-${id}@example.com`,
          cents: 4_200,
        }),
      ),
    )
  : [];
if (!hasSteps)
  console.log(
    `(the order flow needs durable steps, which the ${backend.capabilities.backend} backend has not yet)`,
  );

const tracked = [...emails, ...hooks, ...orders]
  .filter((result) => !result.deduplicated)
  .map((result) => result.id);
const deduplicatedAtEnqueue = [...emails, ...hooks].filter((result) => result.deduplicated).length;

async function progress(client: Switchyard) {
  const states = await Promise.all(tracked.map(async (id) => (await client.get(id))?.state));
  const count = (state: string) => states.filter((s) => s === state).length;
  return {
    completed: count("completed"),
    failed: count("failed"),
    pending: tracked.length - count("completed") - count("failed"),
  };
}

// The last progress seen: the counts the summary reports, read while the worker still ran.
let final = { completed: 0, failed: 0, pending: tracked.length };
for (;;) {
  const now = await progress(jobs);
  final = now;
  const line = `  ${((Date.now() - started) / 1000).toFixed(1)}s  done ${now.completed}  dead-lettered ${now.failed}  pending ${now.pending}  webhooks accepted ${receiver.stats.accepted}  reports ${stats.reports}`;
  process.stdout.write(process.stdout.isTTY ? `\r${line}` : `${line}\n`);
  if (now.pending === 0 && stats.reports >= 2) break;
  if (Date.now() - started > 45_000) {
    console.error("\nthe demo did not finish within 45 s");
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
if (process.stdout.isTTY) process.stdout.write("\n");

await worker.stop({ graceful: true });
const snapshots = (await Promise.all(tracked.map((id) => jobs.get(id)))).filter((s) => s !== undefined);
// listFailed() may also hold earlier runs' failures on a persistent backend: keep this run's.
const deadLettered = (await jobs.listFailed()).filter((job) => tracked.includes(job.id));
await jobs.close();
await receiver.close();

printSummary({
  processed: final.completed + stats.reports,
  retried: snapshots.reduce((sum, s) => sum + Math.max(0, s.attempts - 1), 0),
  deadLettered: deadLettered.length,
  deduplicated: deduplicatedAtEnqueue + receiver.stats.duplicatesDropped,
  details: {
    emailsSent: provider.sent.length,
    webhooksAccepted: receiver.stats.accepted,
    duplicateDeliveriesDropped: receiver.stats.duplicatesDropped,
    duplicateEnqueuesDeduplicated: deduplicatedAtEnqueue,
    reportsGenerated: stats.reports,
    ordersFulfilled: snapshots.filter((s) => s.name === fulfilOrder.name && s.state === "completed").length,
    confirmationsSent: provider.sent.filter((line) => line.includes("confirmed")).length,
    cardsCharged: orderStats.charges,
    deadLetters: deadLettered.map(
      (job) => `${job.name}: ${job.error?.message} (attempt ${job.attempts} of ${job.maxAttempts})`,
    ),
  },
  seconds: (Date.now() - started) / 1000,
});
process.exit(0);
