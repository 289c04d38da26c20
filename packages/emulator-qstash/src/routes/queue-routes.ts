import type { EmulatorState } from "../emulator-state.js";
import { badRequest, notFound } from "../http-error.js";
import type { QueueState } from "../queue-registry.js";
import { decodeSegment, type Route, route } from "../router.js";

export function queueRoutes(state: EmulatorState): Route[] {
  const { queues, engine, clock } = state;
  /** The `Queue` object (QT:1166-1173); lag = messages of the queue not yet finished nor running. */
  const toApi = (queue: QueueState) => ({
    name: queue.name,
    createdAt: Math.floor(queue.createdAt),
    updatedAt: Math.floor(queue.updatedAt),
    parallelism: queue.parallelism,
    lag: engine.open().filter((record) => record.spec.queueName === queue.name && record.state !== "ACTIVE")
      .length,
    paused: queue.paused,
  });
  const existing = (rawName: string) => {
    const name = decodeSegment(rawName);
    const queue = queues.get(name);
    if (!queue) throw notFound(`queue ${name} not found`);
    return queue;
  };
  const setPaused = (paused: boolean) => (context: { params: string[] }) => {
    const queue = existing(context.params[0] as string);
    queues.upsert(queue.name, { paused }, clock.now());
    if (!paused) engine.pump();
    return { status: 200 };
  };
  return [
    // `{queueName, parallelism, paused}` JSON body (Q:1909-1925).
    route("POST", /^\/v2\/queues\/?$/, (context) => {
      let body: { queueName?: unknown; parallelism?: unknown; paused?: unknown };
      try {
        body = JSON.parse(context.body.toString("utf8"));
      } catch {
        throw badRequest("body must be JSON");
      }
      if (typeof body.queueName !== "string" || body.queueName === "")
        throw badRequest("queueName is required");
      queues.upsert(
        body.queueName,
        {
          ...(typeof body.parallelism === "number" ? { parallelism: body.parallelism } : {}),
          ...(typeof body.paused === "boolean" ? { paused: body.paused } : {}),
        },
        clock.now(),
      );
      engine.pump();
      return { status: 200 };
    }),
    route("GET", /^\/v2\/queues\/?$/, () => ({ status: 200, body: queues.list().map(toApi) })),
    route("GET", /^\/v2\/queues\/([^/]+)$/, (context) => ({
      status: 200,
      body: toApi(existing(context.params[0] as string)),
    })),
    // Deleting a queue drops its pending messages [inferred: not documented].
    route("DELETE", /^\/v2\/queues\/([^/]+)$/, (context) => {
      const queue = existing(context.params[0] as string);
      for (const record of engine.open()) if (record.spec.queueName === queue.name) engine.cancel(record.id);
      queues.delete(queue.name);
      return { status: 200 };
    }),
    route("POST", /^\/v2\/queues\/([^/]+)\/pause$/, setPaused(true)),
    route("POST", /^\/v2\/queues\/([^/]+)\/resume$/, setPaused(false)),
  ];
}
