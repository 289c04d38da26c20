import type { AppRegistry } from "./app-registry.js";
import type { ExpiringKeys } from "./expiring-keys.js";
import { keyValue } from "./expression.js";
import type { RegisteredFunction } from "./function-config.js";
import type { RunEngine } from "./run-engine.js";
import { isEnded, type RunState } from "./run-state.js";
import type { RunStore } from "./run-store.js";
import type { EventRecord, InngestEvent } from "./types.js";
import { newUlid } from "./ulid.js";

/** What the intake needs from the executor. */
export interface EventIntakeDeps {
  registry: AppRegistry;
  store: RunStore;
  engine: RunEngine;
  idempotency: ExpiringKeys;
  events: EventRecord[];
  timeScale: number;
  dedupWindowMs: number;
  /**
   * Runs `process` once the server gets to an accepted event: after the event API has answered
   * (runs are created asynchronously, see `runCreationDelayMs`). Events are processed in the
   * order they were accepted.
   */
  later: (process: () => void) => void;
}

/** An event payload that cannot be accepted (answered 400). */
export class InvalidEventError extends Error {
  override name = "InvalidEventError";
}

/**
 * Accepts events, cancels runs waiting for them, and starts the runs of the
 * functions they trigger.
 */
export class EventIntake {
  readonly #deps: EventIntakeDeps;

  constructor(deps: EventIntakeDeps) {
    this.#deps = deps;
  }

  /**
   * Accepts one event. `internalId` is the server id (ULID): seeded by the
   * SDK's `x-inngest-event-id-seed` when present, so a client retry gets the
   * same id. A missing `id` becomes the internal id and `ts` defaults to now
   * (G:pkg/event/legacy_types.go:13-35). The event is stored at once; its
   * runs are created later (`later`): the event API answers first
   * (G:pkg/devserver/service.go:387-425).
   */
  accept(raw: unknown, internalId = newUlid()): EventRecord {
    const record = this.#store(internalId, this.#normalise(raw, internalId));
    this.#deps.later(() => this.#process(record));
    return record;
  }

  /** Keeps an event as received now, with no runs yet. */
  #store(internalId: string, event: InngestEvent): EventRecord {
    const record: EventRecord = {
      internalId,
      event,
      receivedAt: new Date(),
      runIds: [],
      skippedFunctions: [],
    };
    this.#deps.events.push(record);
    return record;
  }

  /** What the runner does with an event: cancel runs waiting for it, start the functions it triggers. */
  #process(record: EventRecord): void {
    const { event } = record;
    this.#cancelWaitingRuns(event);
    for (const fn of this.#deps.registry.all()) {
      const triggered = fn.eventTriggers.some(
        (trigger) => trigger.event === event.name && (!trigger.matches || trigger.matches({ event })),
      );
      if (triggered) this.#schedule(fn, event, record);
    }
    record.processedAt = new Date();
  }

  /**
   * Starts a cron run of `fn`: the server sends `inngest/scheduled.timer`
   * with `id` = scheduled time (RFC 3339) and `data {cron, scheduledAt,
   * fireAt}` to the function directly (G:pkg/execution/executor/service.go:1055-1080).
   */
  acceptCron(fn: RegisteredFunction, expression: string, scheduledAt: Date, eventId: string): EventRecord {
    const at = scheduledAt.toISOString().replace(/\.\d{3}Z$/, "Z");
    const event: InngestEvent = {
      name: "inngest/scheduled.timer",
      id: eventId,
      ts: Date.now(),
      data: { cron: expression, scheduledAt: at, fireAt: at },
    };
    const record: EventRecord = {
      internalId: newUlid(),
      event,
      receivedAt: new Date(),
      runIds: [],
      skippedFunctions: [],
    };
    this.#deps.events.push(record);
    this.#schedule(fn, event, record, expression);
    record.processedAt = new Date();
    return record;
  }

  /**
   * The event of a `step.invoke`: `inngest/function.invoked` with the payload's data plus
   * `_inngest {fn_id, correlation_id, expire, source_app_id, source_fn_id}`, sent to the target
   * function alone (its trigger is not synced, I:components/InngestFunction.js) and stored like any
   * event (G:pkg/event/invoke.go:17-58, G:executor.go:5167-5215). Undefined when no synced function
   * has the slug (the parent then waits until its timeout).
   */
  acceptInvoke(
    slug: string,
    payload: { data?: Record<string, unknown> } | undefined,
    source: { appId: string; functionUuid: string; correlationId: string; expiresAt: Date },
  ): RunState | undefined {
    const internalId = newUlid();
    const event: InngestEvent = {
      name: "inngest/function.invoked",
      id: internalId,
      ts: Date.now(),
      data: {
        ...(payload?.data ?? {}),
        _inngest: {
          fn_id: slug,
          correlation_id: source.correlationId,
          expire: source.expiresAt.getTime(),
          source_app_id: source.appId,
          source_fn_id: source.functionUuid,
        },
      },
    };
    const record = this.#store(internalId, event);
    const fn = this.#deps.registry.get(slug);
    if (fn) this.#schedule(fn, event, record);
    record.processedAt = new Date();
    const runId = record.runIds[0];
    return runId === undefined ? undefined : this.#deps.store.get(runId);
  }

  #normalise(raw: unknown, internalId: string): InngestEvent {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      throw new InvalidEventError("Event must be a JSON object");
    }
    const input = raw as Record<string, unknown>;
    if (typeof input.name !== "string" || input.name === "") {
      throw new InvalidEventError("Event name is required");
    }
    const data = input.data ?? {};
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      throw new InvalidEventError("Event data must be an object");
    }
    return {
      ...input,
      name: input.name,
      data: data as Record<string, unknown>,
      id: typeof input.id === "string" && input.id !== "" ? input.id : internalId,
      ts: typeof input.ts === "number" && input.ts > 0 ? input.ts : Date.now(),
    };
  }

  /**
   * `cancelOn`: a matching event cancels the function's runs that are
   * still going; `if` sees the run's trigger as `event` and the new event as
   * `async` (https://www.inngest.com/docs/features/inngest-functions/cancellation/cancel-on-events).
   */
  #cancelWaitingRuns(event: InngestEvent): void {
    for (const fn of this.#deps.registry.all()) {
      const rules = fn.cancelOn.filter((rule) => rule.event === event.name);
      if (rules.length === 0) continue;
      for (const run of this.#deps.store.all()) {
        if (run.functionSlug !== fn.info.slug || isEnded(run)) continue;
        if (rules.some((rule) => !rule.matches || rule.matches({ event: run.event, async: event }))) {
          this.#deps.engine.cancel(run, "event");
        }
      }
    }
  }

  #schedule(fn: RegisteredFunction, event: InngestEvent, record: EventRecord, cron?: string): void {
    const slug = fn.info.slug;
    const window = this.#deps.dedupWindowMs;
    // One run per function per event id within 24 h: the event id is the
    // run's idempotency key (G:pkg/execution/runner/runner.go:676-680,
    // https://www.inngest.com/docs/durable-execution/guides-and-advanced/idempotency).
    const eventKey = `event\u0000${slug}\u0000${event.id}`;
    // A function `idempotency` expression is a 1-per-24 h rate limit on its
    // value (G:pkg/sdk/function.go:95-101, G:pkg/consts/consts.go:140).
    const fnKey = fn.idempotencyKey
      ? `fn\u0000${slug}\u0000${keyValue(fn.idempotencyKey({ event }))}`
      : undefined;
    if (
      !this.#deps.idempotency.claim(eventKey, window) ||
      (fnKey && !this.#deps.idempotency.claim(fnKey, window))
    ) {
      record.skippedFunctions.push(slug);
      return;
    }

    const run = this.#createRun(fn, event, record.internalId, cron);
    record.runIds.push(run.id);
    const delay = Math.max(0, event.ts - Date.now());
    this.#deps.engine.start(run, Math.round(delay * this.#deps.timeScale));
  }

  /**
   * `POST /v2/runs/{id}/rerun`: a new run of the same function for the same
   * event (same internal id, so `GET /v1/events/{id}/runs` lists both), with
   * fresh attempts and no memoised steps, linked to the first run of the
   * chain; event-id idempotency does not apply to it. Cron runs cannot be
   * rerun (G:pkg/devserver/run_provider.go:164-230,
   * G:pkg/api/v2/endpoints_runs.go:198-256). Undefined when the function is
   * no longer synced.
   */
  rerun(original: RunState): RunState | undefined {
    const fn = this.#deps.registry.get(original.functionSlug);
    if (!fn) return undefined;
    const run = this.#createRun(fn, original.event, original.eventId, undefined);
    run.originalRunId = original.originalRunId ?? original.id;
    this.#deps.events.find((record) => record.internalId === original.eventId)?.runIds.push(run.id);
    this.#deps.engine.start(run, 0);
    return run;
  }

  #createRun(
    fn: RegisteredFunction,
    event: InngestEvent,
    eventId: string,
    cron: string | undefined,
  ): RunState {
    const slug = fn.info.slug;
    const run: RunState = {
      id: newUlid(),
      functionSlug: slug,
      functionId: fn.info.functionId,
      functionUuid: fn.uuid,
      functionName: fn.info.name,
      appId: fn.info.appId,
      eventId,
      event,
      cron,
      status: "Scheduled",
      queuedAt: new Date(),
      steps: {},
      stack: [],
      pending: new Set(),
      calls: 0,
      maxAttempts: fn.info.maxAttempts,
      version: -1,
      queue: new Map(),
      inFlight: new Map(),
      slots: fn.concurrency.map((rule) => {
        const key = rule.key ? keyValue(rule.key({ event })) : "";
        return { key: rule.scope === "fn" ? `fn:${slug}:${key}` : `${rule.scope}:${key}`, limit: rule.limit };
      }),
    };
    this.#deps.store.add(run);
    return run;
  }
}
