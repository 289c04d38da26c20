import { DeadLetterQueue } from "./dead-letter-queue.js";
import { DeduplicationStore } from "./deduplication.js";
import { EmulatorClock } from "./emulator-clock.js";
import type { EmulatorState } from "./emulator-state.js";
import { EventLog } from "./event-log.js";
import { FlowControlLimiter } from "./flow-control-limiter.js";
import { ApiServer } from "./http-server.js";
import type { DeliveryRecord, LogEntry, MessageSnapshot, QStashEmulatorOptions } from "./interfaces.js";
import { MessageEngine } from "./message-engine.js";
import { toSnapshot } from "./message-record.js";
import { resolveOptions } from "./options.js";
import { publishMessage } from "./publish-message.js";
import { parsePublishRequest } from "./publish-request.js";
import { QueueRegistry } from "./queue-registry.js";
import { dlqRoutes } from "./routes/dlq-routes.js";
import { flowControlRoutes } from "./routes/flow-control-routes.js";
import { keyRoutes, rotateSigningKeys } from "./routes/key-routes.js";
import { messageRoutes } from "./routes/message-routes.js";
import { publishRoutes } from "./routes/publish-routes.js";
import { queueRoutes } from "./routes/queue-routes.js";
import { scheduleRoutes } from "./routes/schedule-routes.js";
import { ScheduleRegistry } from "./schedule-registry.js";

/** Options of the waiting helpers. */
export interface WaitOptions {
  /**
   * Real milliseconds before the returned promise rejects.
   * @default 10_000
   */
  timeoutMs?: number;
}

const DEFAULT_WAIT_MS = 10_000;

/**
 * A local emulator of the Upstash QStash HTTP API, for the real `@upstash/qstash` SDK.
 * Start it with {@link startQStashEmulator}; point `new Client({ baseUrl: emulator.url, token:
 * emulator.token })` at it and verify deliveries with `new Receiver({ currentSigningKey:
 * emulator.currentSigningKey, nextSigningKey: emulator.nextSigningKey })`.
 */
export class QStashEmulator {
  /** Base URL, `http://127.0.0.1:<port>` (pass as `baseUrl` or `QSTASH_URL`). */
  readonly url: string;
  readonly port: number;
  /** Accepted bearer token. */
  readonly token: string;
  /** See {@link QStashEmulatorOptions.timeScale}. */
  readonly timeScale: number;
  private readonly state: EmulatorState;
  private readonly server: ApiServer;
  private closed = false;

  /** @internal use {@link startQStashEmulator}. */
  constructor(state: EmulatorState, server: ApiServer, port: number) {
    this.state = state;
    this.server = server;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.token = state.options.token;
    this.timeScale = state.options.timeScale;
  }

  /** Starts an emulator on 127.0.0.1 (random free port unless `options.port`). */
  static start(options?: QStashEmulatorOptions): Promise<QStashEmulator> {
    return startQStashEmulator(options);
  }

  /** The key deliveries are signed with now. */
  get currentSigningKey(): string {
    return this.state.keys.current;
  }

  get nextSigningKey(): string {
    return this.state.keys.next;
  }

  /**
   * Environment variables the SDK reads: QSTASH_URL, QSTASH_TOKEN, QSTASH_CURRENT_SIGNING_KEY,
   * QSTASH_NEXT_SIGNING_KEY. Leave QSTASH_DEV unset: dev mode ignores baseUrl and keys (Q:563-568, Q:975).
   */
  get env(): Record<string, string> {
    return {
      QSTASH_URL: this.url,
      QSTASH_TOKEN: this.token,
      QSTASH_CURRENT_SIGNING_KEY: this.currentSigningKey,
      QSTASH_NEXT_SIGNING_KEY: this.nextSigningKey,
    };
  }

  /** The emulator clock, unix ms (runs 1/timeScale as fast as real time). */
  now(): number {
    return this.state.clock.now();
  }

  /** Every HTTP attempt made so far, oldest first. */
  get deliveries(): readonly DeliveryRecord[] {
    return this.state.engine.deliveries;
  }

  /** Every state transition so far, oldest first (what `GET /v2/events` serves, newest first). */
  get logs(): readonly LogEntry[] {
    return this.state.log.entries;
  }

  /** Calls `listener` after each attempt; returns an unsubscribe function. */
  onDelivery(listener: (delivery: DeliveryRecord) => void): () => void {
    return this.state.engine.onDelivery(listener);
  }

  /** Calls `listener` on each state transition; returns an unsubscribe function. */
  onLog(listener: (entry: LogEntry) => void): () => void {
    return this.state.log.subscribe(listener);
  }

  /** Full state of a message, including finished ones (which `GET /v2/messages/{id}` no longer returns). */
  getMessage(messageId: string): MessageSnapshot | undefined {
    const record = this.state.engine.get(messageId);
    return record ? toSnapshot(record) : undefined;
  }

  /** Messages not yet delivered, failed or cancelled. */
  openMessages(): MessageSnapshot[] {
    return this.state.engine.open().map(toSnapshot);
  }

  /**
   * Resolves once no message is waiting, retrying or being delivered (future schedule ticks do not
   * count). Rejects after `timeoutMs` real ms, listing what is still open.
   */
  async waitForIdle(options: WaitOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const open = this.openMessages()
          .map((message) => `${message.messageId} ${message.state} retried=${message.retried} ${message.url}`)
          .join("; ");
        reject(new Error(`QStash emulator not idle after ${timeoutMs} ms: ${open}`));
      }, timeoutMs);
    });
    try {
      await Promise.race([this.state.engine.whenIdle(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Resolves with the first delivery (past or future) that satisfies `predicate`.
   * Rejects after `timeoutMs` real ms.
   */
  waitForDelivery(
    predicate: (delivery: DeliveryRecord) => boolean,
    options: WaitOptions = {},
  ): Promise<DeliveryRecord> {
    const existing = this.deliveries.find(predicate);
    if (existing) return Promise.resolve(existing);
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`no matching QStash delivery within ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = this.onDelivery((delivery) => {
        if (!predicate(delivery)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(delivery);
      });
    });
  }

  /**
   * Publishes without HTTP, as `POST /v2/publish/{url}` with these `Upstash-*` headers would
   * (lower-case names). Handy to seed state in harnesses; returns the messageId.
   */
  publish(url: string, options: { body?: string; headers?: Record<string, string> } = {}): string {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    const request = parsePublishRequest({
      destination: url,
      headers,
      body: Buffer.from(options.body ?? "", "utf8"),
      defaultRetries: this.state.options.defaultRetries,
    });
    return publishMessage(this.state, request).messageId;
  }

  /**
   * Test control, no platform counterpart: messages to URLs starting with `urlPrefix` are not
   * delivered while held. They stay due and waiting (state CREATED or RETRY, like the messages of
   * a paused queue), as if the app were not deployed yet, without the failed calls and default
   * backoff a real app that is down would cause. A call in flight finishes. Harnesses hold a route
   * until its app "starts".
   */
  holdDeliveries(urlPrefix: string): void {
    this.state.engine.hold(urlPrefix);
  }

  /** Ends {@link holdDeliveries}: the held messages are delivered now, oldest first. */
  releaseDeliveries(urlPrefix: string): void {
    this.state.engine.release(urlPrefix);
  }

  /** Rolls the signing keys like `POST /v2/keys/rotate`: current ← next, new next. */
  rotateSigningKeys(): { current: string; next: string } {
    return rotateSigningKeys(this.state);
  }

  /** Forgets every message, DLQ entry, schedule, queue, flow-control key, dedup id, log and delivery. */
  reset(): void {
    const { state } = this;
    state.engine.clear();
    state.schedules.clear();
    state.dlq.clear();
    state.queues.clear();
    state.flowControl.clear();
    state.deduplication.clear();
    state.log.clear();
  }

  /** Stops timers, aborts running deliveries and closes the server. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reset();
    this.state.clock.clearAll();
    await this.server.close();
  }
}

/** Starts a QStash emulator; see {@link QStashEmulatorOptions} for the defaults. */
export async function startQStashEmulator(options: QStashEmulatorOptions = {}): Promise<QStashEmulator> {
  const resolved = resolveOptions(options);
  const clock = new EmulatorClock(resolved.timeScale, resolved.startTime);
  const keys = { current: resolved.currentSigningKey, next: resolved.nextSigningKey };
  const queues = new QueueRegistry();
  const flowControl = new FlowControlLimiter();
  const dlq = new DeadLetterQueue();
  const log = new EventLog();
  const engine = new MessageEngine({
    clock,
    queues,
    flowControl,
    dlq,
    log,
    signingKey: () => keys.current,
    maxResponseDurationMs: resolved.maxResponseDurationMs,
    retryAfterOverridesRetryDelay: resolved.retryAfterOverridesRetryDelay,
  });
  const state: EmulatorState = {
    options: resolved,
    clock,
    engine,
    dlq,
    queues,
    flowControl,
    log,
    deduplication: new DeduplicationStore(resolved.deduplicationWindowMs),
    keys,
    // Assigned just below: the registry needs `state` to publish each tick.
    schedules: undefined as unknown as ScheduleRegistry,
  };
  state.schedules = new ScheduleRegistry(
    clock,
    (schedule) =>
      publishMessage(
        state,
        {
          spec: schedule.spec,
          ...(schedule.delayMs === undefined ? {} : { delayMs: schedule.delayMs }),
          contentBasedDeduplication: false,
        },
        { scheduleId: schedule.scheduleId },
      ).messageId,
    (messageId) => engine.get(messageId)?.state,
  );
  const routes = [
    ...publishRoutes(state),
    ...messageRoutes(state),
    ...dlqRoutes(state),
    ...scheduleRoutes(state),
    ...queueRoutes(state),
    ...flowControlRoutes(state),
    ...keyRoutes(state),
  ];
  const server = new ApiServer(routes, () => resolved.token);
  const port = await server.listen(resolved.port);
  return new QStashEmulator(state, server, port);
}
