import { type InngestExecutor, startInngestExecutor } from "@switchyard/emulator-inngest";
import { type QStashEmulator, startQStashEmulator } from "@switchyard/emulator-qstash";
import { freePort } from "./free-port.js";
import { type MailSink, startMailSink } from "./mail-sink.js";

/** The Inngest app id of every example. */
export const EXAMPLE_APP_ID = "framework-example";

/** The hosted platforms (emulated), the mail API, and the environment an example app runs with. */
export interface Platforms {
  qstash: QStashEmulator;
  inngest: InngestExecutor;
  mail: MailSink;
  /** Where the app is to listen (127.0.0.1). */
  port: number;
  origin: string;
  /** The app's environment: what `createExampleJobs()` reads. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startPlatforms(): Promise<Platforms> {
  const [qstash, inngest, mail, port] = await Promise.all([
    startQStashEmulator(),
    startInngestExecutor({ retryJitter: false }),
    startMailSink(),
    freePort(),
  ]);
  const origin = `http://127.0.0.1:${port}`;
  return {
    qstash,
    inngest,
    mail,
    port,
    origin,
    env: {
      QSTASH_URL: qstash.url,
      QSTASH_TOKEN: qstash.token,
      QSTASH_CURRENT_SIGNING_KEY: qstash.currentSigningKey,
      QSTASH_NEXT_SIGNING_KEY: qstash.nextSigningKey,
      SWITCHYARD_PUBLIC_URL: `${origin}/api/qstash`,
      INNGEST_BASE_URL: inngest.url,
      INNGEST_SIGNING_KEY: inngest.signingKey,
      INNGEST_EVENT_KEY: inngest.eventKey,
      INNGEST_APP_ID: EXAMPLE_APP_ID,
      MAIL_API_URL: mail.url,
    },
    async close() {
      await Promise.all([qstash.close(), inngest.close(), mail.close()]);
    },
  };
}
