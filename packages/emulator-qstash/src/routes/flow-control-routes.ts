import type { EmulatorState } from "../emulator-state.js";
import { notFound } from "../http-error.js";
import { decodeSegment, type Route, route } from "../router.js";

/** `client.flowControl` get/pause/resume/resetRate (Q:1341-1440, OA FlowControlKey); pin/unpin are not emulated. */
export function flowControlRoutes(state: EmulatorState): Route[] {
  const { flowControl, engine, clock } = state;
  const key = (raw: string) => {
    const name = decodeSegment(raw);
    if (!flowControl.has(name)) throw notFound(`flow control key ${name} not found`);
    return name;
  };
  const waitListSize = (name: string) =>
    engine.waiting().filter((record) => record.spec.flowControl?.key === name).length;
  return [
    route("GET", /^\/v2\/flowControl\/?$/, () => ({
      status: 200,
      body: flowControl.keyNames().map((name) => flowControl.describe(name, waitListSize(name))),
    })),
    route("GET", /^\/v2\/flowControl\/([^/]+)$/, (context) => {
      const name = key(context.params[0] as string);
      return { status: 200, body: flowControl.describe(name, waitListSize(name)) };
    }),
    route("POST", /^\/v2\/flowControl\/([^/]+)\/pause$/, (context) => {
      flowControl.setPaused(key(context.params[0] as string), true);
      return { status: 200 };
    }),
    route("POST", /^\/v2\/flowControl\/([^/]+)\/resume$/, (context) => {
      flowControl.setPaused(key(context.params[0] as string), false);
      engine.pump();
      return { status: 200 };
    }),
    route("POST", /^\/v2\/flowControl\/([^/]+)\/resetRate$/, (context) => {
      flowControl.resetRate(key(context.params[0] as string), clock.now());
      engine.pump();
      return { status: 200 };
    }),
  ];
}
