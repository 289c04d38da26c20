export interface DemoSummary {
  processed: number;
  retried: number;
  deadLettered: number;
  deduplicated: number;
  details: {
    emailsSent: number;
    webhooksAccepted: number;
    duplicateDeliveriesDropped: number;
    duplicateEnqueuesDeduplicated: number;
    reportsGenerated: number;
    ordersFulfilled: number;
    confirmationsSent: number;
    cardsCharged: number;
    deadLetters: string[];
  };
  seconds: number;
}

/** Prints the closing table of the demo. */
export function printSummary(summary: DemoSummary): void {
  const rows: Array<[string, number]> = [
    ["processed", summary.processed],
    ["retried", summary.retried],
    ["dead-lettered", summary.deadLettered],
    ["deduplicated", summary.deduplicated],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`\n+${"-".repeat(width + 2)}+-------+`);
  for (const [label, value] of rows) console.log(`| ${label.padEnd(width)} | ${String(value).padStart(5)} |`);
  console.log(`+${"-".repeat(width + 2)}+-------+`);
  const d = summary.details;
  console.log(
    `\nemails sent ${d.emailsSent}, webhooks accepted ${d.webhooksAccepted} (duplicate deliveries dropped by the receiver ${d.duplicateDeliveriesDropped}), duplicate enqueues deduplicated ${d.duplicateEnqueuesDeduplicated}, reports ${d.reportsGenerated}`,
  );
  console.log(
    `orders fulfilled ${d.ordersFulfilled} with durable steps: confirmation emails sent ${d.confirmationsSent}, cards charged ${d.cardsCharged} (once each, despite retries)`,
  );
  for (const dead of d.deadLetters) console.log(`dead letter: ${dead}`);
  console.log(`finished in ${summary.seconds.toFixed(1)} s`);
}
