// The emulator must load before @trigger.dev/sdk (the adapter imports it).
import "@switchyard/emulator-trigger";
import { randomBytes } from "node:crypto";
import { type AnyJobDefinition, createSwitchyard, type Switchyard, silentLogger } from "@switchyard/core";
import {
  startTriggerEmulator,
  type TriggerEmulator,
  type TriggerEmulatorOptions,
} from "@switchyard/emulator-trigger";
import { toTriggerTasks, trigger } from "../src/index.js";

/** A job name unique to this process: the SDK's task catalog is process-wide. */
export function uniqueName(base: string): string {
  return `${base}-${randomBytes(4).toString("hex")}`;
}

/** A client on its own emulator, with its tasks defined and deployed, as the conformance harness does. */
export async function emulatedClient(
  jobs: ReadonlyArray<AnyJobDefinition>,
  options: TriggerEmulatorOptions = {},
): Promise<{ client: Switchyard; emulator: TriggerEmulator; close(): Promise<void> }> {
  const emulator = await startTriggerEmulator(options);
  const client = createSwitchyard({
    backend: trigger({ secretKey: emulator.secretKey, baseURL: emulator.url }),
    jobs,
    logger: silentLogger,
  });
  emulator.deploy(Object.values(toTriggerTasks(client)));
  return {
    client,
    emulator,
    async close() {
      await client.close();
      const failed = emulator.requests.filter((request) => request.status >= 500);
      await emulator.close();
      if (failed.length > 0) throw new Error(`the emulator answered with a 5xx: ${JSON.stringify(failed)}`);
    },
  };
}
