// The client address serveDashboard() saw on the socket, handed to the dashboard handler of the same
// request through async context (a Web Request has no field for it, and a header could be forged).
import { AsyncLocalStorage } from "node:async_hooks";

const socketAddress = new AsyncLocalStorage<string | undefined>();

export function withSocketAddress<T>(address: string | undefined, run: () => T): T {
  return socketAddress.run(address, run);
}

export function currentSocketAddress(): string | undefined {
  return socketAddress.getStore();
}
