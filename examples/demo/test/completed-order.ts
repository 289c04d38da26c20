// What the order-flow tests on the hosted backends' emulators share.
import type { JobSnapshot, Switchyard } from "@switchyard/core";

/** The steps of a fulfilled order, in the order they ran. */
export const ORDER_STEPS = [
  "send-confirmation",
  "create-label",
  "wait-for-payment",
  "charge",
  "send-tracking",
];

/** The order's snapshot once completed; throws if it fails, is cancelled, or takes over 30 s. */
export async function completed(client: Switchyard, id: string): Promise<JobSnapshot> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const snapshot = await client.get(id);
    if (snapshot?.state === "completed") return snapshot;
    if (snapshot?.state === "failed" || snapshot?.state === "cancelled" || Date.now() > deadline) {
      throw new Error(`order ${id} ended ${snapshot?.state ?? "unknown"}: ${snapshot?.error?.message ?? ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
