import { randomBytes } from "node:crypto";
import type { Backend } from "@switchyard/core";
import { type QStashEmulator, startQStashEmulator } from "@switchyard/emulator-qstash";
import type { ConformanceHarness } from "@switchyard/testkit";
import { Client } from "@upstash/qstash";
import { qstash } from "../src/index.js";
import { HandlerHost, type HostedRoute } from "./handler-host.js";

/** Where the kit's backends talk to: the local emulator, or the real QStash. */
interface QStashTarget {
  token: string;
  baseUrl?: string;
  currentSigningKey: string;
  nextSigningKey: string;
  /** Public base URL whose requests reach the local handler host. */
  publicUrl?: string;
  /** Port of the local handler host. */
  port: number;
}

export interface QStashHarness extends ConformanceHarness {
  /** The emulator, unless the kit runs against the real QStash. */
  readonly emulator?: QStashEmulator;
  readonly host: HandlerHost;
}

/**
 * The real QStash, when `QSTASH_TOKEN`, `QSTASH_CURRENT_SIGNING_KEY`, `QSTASH_NEXT_SIGNING_KEY` and
 * `SWITCHYARD_QSTASH_PUBLIC_URL` are set: that public URL (a tunnel) must forward to
 * `127.0.0.1:$SWITCHYARD_QSTASH_PORT` (default 8787), where the harness serves the handlers.
 */
export function realQStashTarget(
  env: Record<string, string | undefined> = process.env,
): QStashTarget | undefined {
  const publicUrl = env.SWITCHYARD_QSTASH_PUBLIC_URL;
  const { QSTASH_TOKEN: token, QSTASH_CURRENT_SIGNING_KEY: current, QSTASH_NEXT_SIGNING_KEY: next } = env;
  if (!publicUrl || !token || !current || !next) return undefined;
  return {
    token,
    ...(env.QSTASH_URL ? { baseUrl: env.QSTASH_URL } : {}),
    currentSigningKey: current,
    nextSigningKey: next,
    publicUrl: publicUrl.replace(/\/+$/, ""),
    port: Number(env.SWITCHYARD_QSTASH_PORT ?? 8787),
  };
}

/**
 * The conformance harness: a QStash (the testkit's emulator at real-time scale, so that measured
 * delays are real seconds, or the real one) and a local HTTP server hosting each client's
 * `jobs.handler()` through `toNodeHandler`, one route per backend (`/<namespace>/jobs`). Each backend
 * gets its own namespace, so deduplication ids, flow-control keys, schedules and DLQ labels never mix.
 * Starting a runtime syncs the declared schedules (a deploy) and opens the route; stop drains or breaks
 * the route's connections; crash breaks them, and QStash retries what broke.
 *
 * "Not started" is, on the emulator, QStash holding the route's deliveries (a test control): the
 * messages stay waiting and nothing calls the app, as if it were not deployed yet, without the
 * failed calls and default backoff a real app that is down causes. A job cancelled before its app
 * starts is then a waiting message, as it would be on QStash. Against the real QStash the route
 * holds the requests instead, so QStash sees those calls in flight.
 */
export async function qstashHarness(): Promise<QStashHarness> {
  const real = realQStashTarget();
  const emulator = real ? undefined : await startQStashEmulator({ timeScale: 1 });
  const target: QStashTarget = real ?? {
    token: emulator!.token,
    baseUrl: emulator!.url,
    currentSigningKey: emulator!.currentSigningKey,
    nextSigningKey: emulator!.nextSigningKey,
    port: 0,
  };
  const host = new HandlerHost();
  const port = await host.listen(target.port);
  const publicUrl = target.publicUrl ?? `http://127.0.0.1:${port}`;
  const api = new Client({
    token: target.token,
    ...(target.baseUrl ? { baseUrl: target.baseUrl } : {}),
    retry: false,
    devMode: false,
  });
  const run = randomBytes(3).toString("hex");
  /** Each backend's route, and the public URL QStash delivers its jobs to. */
  const routes = new Map<Backend, { route: HostedRoute; url: string }>();
  let count = 0;

  /** Cancels what a closed backend left behind, so that nothing of one scenario leaks into the next. */
  async function cleanUp(namespace: string, route: HostedRoute): Promise<void> {
    route.close();
    await api.messages.cancel({ filter: { label: namespace } }).catch(() => {});
    const schedules = await api.schedules.list().catch(() => []);
    for (const schedule of schedules) {
      if (schedule.scheduleId.startsWith(`${namespace}.`))
        await api.schedules.delete(schedule.scheduleId).catch(() => {});
    }
  }

  return {
    name: "qstash",
    emulator,
    host,
    providedByHarness: {
      "worker.gracefulStop":
        "the test's HTTP server drains the route's connections on stop; in production, your HTTP server's graceful shutdown (or the platform's)",
      "worker.crashRecovery":
        "QStash (here the emulator) retries a delivery whose connection broke; in production, QStash",
    },
    createBackend() {
      count++;
      const namespace = `kit${run}b${count}`;
      const path = `/${namespace}/jobs`;
      const route = host.route(path);
      emulator?.holdDeliveries(`${publicUrl}${path}`);
      const backend = qstash({
        token: target.token,
        ...(target.baseUrl ? { baseUrl: target.baseUrl } : {}),
        currentSigningKey: target.currentSigningKey,
        nextSigningKey: target.nextSigningKey,
        url: `${publicUrl}${path}`,
        namespace,
        retry: false,
      });
      const close = backend.close.bind(backend);
      backend.close = async () => {
        await close();
        await cleanUp(namespace, route);
      };
      routes.set(backend, { route, url: `${publicUrl}${path}` });
      return backend;
    },
    async start(client, { concurrency }) {
      const hosted = routes.get(client.backend);
      if (!hosted) throw new Error("start(): the client's backend was not created by this harness");
      const { route, url } = hosted;
      await client.schedules.sync();
      route.start(client.handler(), concurrency);
      emulator?.releaseDeliveries(url);
      return {
        stop: (options) => {
          emulator?.holdDeliveries(url);
          return route.stop(options);
        },
        crash: () => {
          emulator?.holdDeliveries(url);
          return route.crash();
        },
      };
    },
    async dispose() {
      await host.close();
      await emulator?.close();
    },
  };
}
