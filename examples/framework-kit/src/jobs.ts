import { fromEnv as inngestFromEnv } from "@switchyard/adapter-inngest";
import { fromEnv as qstashFromEnv } from "@switchyard/adapter-qstash";
import { createSwitchyard, defineJob, type JobLogger, type Switchyard } from "@switchyard/core";
import { z } from "zod";

type Env = Record<string, string | undefined>;

/**
 * The job every framework example runs: it sends a welcome mail through a mail API at `mailApiUrl`,
 * so what ran is visible outside the app, even when the app is another process (Next.js).
 */
export function welcomeJob(mailApiUrl: string) {
  return defineJob({
    name: "welcome.send",
    schema: z.object({ email: z.email() }),
    retry: { maxAttempts: 1 },
    handler: async ({ email }, ctx) => {
      const response = await fetch(mailApiUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ to: email, subject: "Welcome!", jobId: ctx.id }),
        signal: ctx.signal,
      });
      if (!response.ok) throw new Error(`the mail API answered ${response.status}`);
      return { sent: email };
    },
  });
}

/** One client per hosted backend, each served on its own route: `/api/qstash` and `/api/inngest`. */
export interface ExampleJobs {
  /** Configured by `QSTASH_*` and `SWITCHYARD_PUBLIC_URL` (the public URL of `/api/qstash`). */
  qstash: Switchyard;
  /** Configured by `INNGEST_*` (cloud mode unless `INNGEST_DEV`: `INNGEST_SIGNING_KEY` is required). */
  inngest: Switchyard;
  /** The job both clients run. */
  sendWelcome: ReturnType<typeof welcomeJob>;
  close(): Promise<void>;
}

/** The clients, from the environment: see ExampleJobs, and `MAIL_API_URL` for the job. */
export function createExampleJobs(env: Env = process.env, logger?: JobLogger): ExampleJobs {
  const mailApiUrl = env.MAIL_API_URL?.trim();
  if (!mailApiUrl) throw new Error("MAIL_API_URL is not set: the URL the welcome job posts mails to");
  const sendWelcome = welcomeJob(mailApiUrl);
  const options = { jobs: [sendWelcome], ...(logger ? { logger } : {}) };
  const qstash = createSwitchyard({ backend: qstashFromEnv(env), ...options });
  const inngest = createSwitchyard({ backend: inngestFromEnv(env), ...options });
  return {
    qstash,
    inngest,
    sendWelcome,
    async close() {
      await Promise.all([qstash.close(), inngest.close()]);
    },
  };
}
