import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One mail the welcome job sent. */
export interface SentMail {
  to: string;
  subject: string;
  jobId: string;
}

/** The mail API the welcome job posts to, on 127.0.0.1: what ran, seen from outside the app. */
export interface MailSink {
  url: string;
  readonly mails: readonly SentMail[];
  close(): Promise<void>;
}

export async function startMailSink(): Promise<MailSink> {
  const mails: SentMail[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    mails.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as SentMail);
    res.writeHead(202).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mails`,
    mails,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
