// serveDashboard(jobs, options): the dashboard on its own local HTTP server (what `switchyard dashboard` runs).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError, type Switchyard, toNodeHandler } from "@switchyard/core";
import { checkOptions, describeValue } from "@switchyard/core/adapter";
import { dashboard } from "./dashboard.js";
import type { DashboardOptions } from "./options.js";
import { withSocketAddress } from "./socket-address.js";

export interface ServeDashboardOptions extends Omit<DashboardOptions, "basePath" | "clientAddress"> {
  /** The port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /**
   * The address to listen on. Default `"127.0.0.1"`. Another address needs `authorize`: with
   * `localOnly` (the default here when `authorize` is not given), remote requests are refused anyway.
   */
  host?: string;
}

export interface ServedDashboard {
  /** Where the dashboard is, e.g. `http://127.0.0.1:43123/`. */
  url: string;
  /** Stops the server (open connections are closed). Does not close `jobs`. */
  close(): Promise<void>;
}

/**
 * Serves the dashboard on a local HTTP server. Without `authorize` it is local-only: each request's
 * socket address must be loopback and its Host a loopback name.
 */
export async function serveDashboard(
  jobs: Switchyard,
  options: ServeDashboardOptions = {},
): Promise<ServedDashboard> {
  const {
    port = 0,
    host = "127.0.0.1",
    ...rest
  } = checkOptions(options, "serveDashboard()", [
    "port",
    "host",
    "authorize",
    "localOnly",
    "readOnly",
    "redact",
    "allowedOrigins",
    "csrfSecret",
  ]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(
      `serveDashboard(): port must be an integer from 0 to 65535, got ${describeValue(port)}`,
    );
  }
  if (typeof host !== "string" || host === "") {
    throw new ConfigError(
      `serveDashboard(): host must be an address such as "127.0.0.1", got ${describeValue(host)}`,
    );
  }
  const handler = toNodeHandler(
    dashboard(jobs, { ...rest, localOnly: rest.localOnly ?? rest.authorize === undefined }),
  );
  const server = createServer((req, res) => {
    withSocketAddress(req.socket.remoteAddress, () => handler(req, res)).catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
