import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AnyJobDefinition,
  createSwitchyard,
  type Switchyard,
  silentLogger,
  toNodeHandler,
} from "@switchyard/core";
import {
  type QStashEmulator,
  type QStashEmulatorOptions,
  startQStashEmulator,
} from "@switchyard/emulator-qstash";
import { Client } from "@upstash/qstash";
import { type QStashBackendOptions, qstash } from "../src/index.js";

/** An app on the QStash emulator: its client, the route QStash delivers to, and the emulator itself. */
export interface EmulatedApp {
  emulator: QStashEmulator;
  /** The SDK's client on the emulator, to read back what the adapter created. */
  api: Client;
  jobs: Switchyard;
  /** The public URL of `jobs.handler()`: `/api/jobs` on a local node:http server. */
  handlerUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the QStash emulator, a local server that serves `jobs.handler()` through `toNodeHandler`,
 * and a client with a qstash backend publishing to it. `onRequest` sees every request that reaches
 * the server, before the handler does.
 */
export async function startEmulatedApp(options: {
  jobs: ReadonlyArray<AnyJobDefinition>;
  /** Default: the adapter's. */
  namespace?: string;
  emulator?: QStashEmulatorOptions;
  /** The plan limits the adapter is told about. Default: the adapter's. */
  limits?: Pick<QStashBackendOptions, "maxMessageBytes" | "maxDelayMs">;
  onRequest?: () => void;
}): Promise<EmulatedApp> {
  const emulator = await startQStashEmulator(options.emulator);
  const route = { handle: (_req: http.IncomingMessage, _res: http.ServerResponse) => Promise.resolve() };
  const server = http.createServer((req, res) => {
    options.onRequest?.();
    void route.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const handlerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/jobs`;
  const jobs = createSwitchyard({
    backend: qstash({
      token: emulator.token,
      baseUrl: emulator.url,
      currentSigningKey: emulator.currentSigningKey,
      nextSigningKey: emulator.nextSigningKey,
      url: handlerUrl,
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      retry: false,
      ...options.limits,
    }),
    jobs: options.jobs,
    logger: silentLogger,
  });
  route.handle = toNodeHandler(jobs.handler());
  return {
    emulator,
    api: new Client({ baseUrl: emulator.url, token: emulator.token, retry: false }),
    jobs,
    handlerUrl,
    async close() {
      await jobs.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await emulator.close();
    },
  };
}
