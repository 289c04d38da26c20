import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook, WebhookVerificationError } from "@switchyard/core";

/**
 * A partner's endpoint: verifies each delivery's signature, processes each idempotency key once, and
 * loses the first acknowledgement of every key (answers 503 after processing), so the sender retries
 * and the receiver has to drop the duplicate.
 */
export async function startWebhookReceiver(secret: string) {
  const processed = new Set<string>();
  const stats = { accepted: 0, duplicatesDropped: 0, rejected: 0 };
  const ackLost = new Set<string>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      try {
        const body = Buffer.concat(chunks).toString("utf8");
        const { idempotencyKey } = verifyWebhook({
          secret,
          body,
          headers: request.headers as Record<string, string>,
        });
        if (processed.has(idempotencyKey)) {
          stats.duplicatesDropped++;
          response.writeHead(200).end("duplicate dropped");
          return;
        }
        processed.add(idempotencyKey);
        stats.accepted++;
        if (!ackLost.has(idempotencyKey)) {
          ackLost.add(idempotencyKey);
          response.writeHead(503).end("processed, but the acknowledgement got lost");
          return;
        }
        response.writeHead(200).end("ok");
      } catch (error) {
        stats.rejected++;
        response.writeHead(error instanceof WebhookVerificationError ? 401 : 500).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    stats,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
