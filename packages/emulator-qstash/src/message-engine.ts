import { headerMap } from "./api-encoding.js";
import { callbackMessageSpec } from "./callback-message.js";
import type { DeadLetterQueue } from "./dead-letter-queue.js";
import { type AttemptResult, performAttempt } from "./delivery-attempt.js";
import type { EmulatorClock } from "./emulator-clock.js";
import type { EventLog } from "./event-log.js";
import { formatFlowControlValue } from "./flow-control.js";
import type { FlowControlLimiter } from "./flow-control-limiter.js";
import { newMessageId } from "./id-generator.js";
import type { DeliveryRecord, LogEntry, MessageState } from "./interfaces.js";
import { isTerminal, type MessageRecord } from "./message-record.js";
import type { MessageSpec } from "./publish-request.js";
import type { QueueRegistry } from "./queue-registry.js";
import { nextRetryDelayMs } from "./retry-delay.js";
import { compileRetryDelay } from "./retry-delay-expression.js";
import { signDelivery } from "./signature.js";

export interface MessageEngineDeps {
  clock: EmulatorClock;
  queues: QueueRegistry;
  flowControl: FlowControlLimiter;
  dlq: DeadLetterQueue;
  log: EventLog;
  /** The key deliveries are signed with, read at each attempt so that rotation applies at once. */
  signingKey: () => string;
  /** Default per-attempt timeout, real ms. */
  maxResponseDurationMs: number;
  /** See QStashEmulatorOptions.retryAfterOverridesRetryDelay. */
  retryAfterOverridesRetryDelay: boolean;
}

export interface CreateMessageOptions {
  /** Emulator-clock time of the first attempt; default now. */
  dueAt?: number;
  scheduleId?: string;
  deduplicationId?: string;
  callbackOf?: MessageRecord["callbackOf"];
}

/**
 * The lifecycle of messages: wait until due, pass the queue and flow-control gates, attempt the
 * HTTP call, then deliver, retry or dead-letter. Rules and their sources:
 * - 2xx = delivered; anything else, a network error or a timeout is a failed attempt
 *   (qstash/features/retry.mdx).
 * - `maxRetries` retries after the first attempt, so 1 + retries attempts in all (OA Upstash-Retries).
 * - status 489 with `Upstash-NonRetryable-Error: true` fails at once, to the DLQ
 *   (qstash/features/retry.mdx).
 * - retry delay: see nextRetryDelayMs.
 * - after the last failure the message goes to the DLQ with the last response (features/dlq.mdx).
 */
export class MessageEngine {
  readonly deliveries: DeliveryRecord[] = [];
  private readonly messages = new Map<string, MessageRecord>();
  private ready: MessageRecord[] = [];
  private openCount = 0;
  private sequence = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly deliveryListeners = new Set<(delivery: DeliveryRecord) => void>();
  private readonly inFlight = new Set<AbortController>();
  private cancelPumpTimer: (() => void) | undefined;
  /** URL prefixes whose messages are not delivered for now (QStashEmulator.holdDeliveries). */
  private readonly held = new Set<string>();
  private pumpTimerAt: number | undefined;

  constructor(private readonly deps: MessageEngineDeps) {}

  create(spec: MessageSpec, options: CreateMessageOptions = {}): MessageRecord {
    const { clock } = this.deps;
    const now = clock.now();
    const dueAt = Math.max(now, options.dueAt ?? now);
    const record: MessageRecord = {
      id: newMessageId(),
      spec,
      seq: ++this.sequence,
      createdAt: now,
      notBefore: dueAt,
      state: "CREATED",
      retried: 0,
      dueAt,
      ...(options.scheduleId ? { scheduleId: options.scheduleId } : {}),
      ...(options.deduplicationId ? { deduplicationId: options.deduplicationId } : {}),
      ...(options.callbackOf ? { callbackOf: options.callbackOf } : {}),
    };
    this.messages.set(record.id, record);
    this.openCount += 1;
    if (spec.queueName) this.deps.queues.ensure(spec.queueName, now);
    if (spec.flowControl) this.deps.flowControl.configure(spec.flowControl);
    this.logState(record, "CREATED");
    this.waitUntil(record, dueAt);
    return record;
  }

  get(messageId: string): MessageRecord | undefined {
    return this.messages.get(messageId);
  }

  /** Messages not yet delivered, failed or cancelled. */
  open(): MessageRecord[] {
    return [...this.messages.values()].filter((record) => !isTerminal(record.state));
  }

  /** Messages due but held back by a paused/full queue or a flow-control key. */
  waiting(): MessageRecord[] {
    return [...this.ready];
  }

  /**
   * Cancels a message that is not finished (OA DELETE /v2/messages/{id}). "When the request is
   * received, CANCEL_REQUESTED will be logged first. If retries are not exhausted yet, in the next
   * deliver time, the message will be marked as CANCELLED" (qstash/howto/debug-logs.mdx). So:
   * - a message waiting for its (first or next) delivery time logs CANCEL_REQUESTED now and
   *   CANCELLED at that time, with no delivery; until then it is still open (`GET /v2/messages/{id}`
   *   finds it [inferred]);
   * - a message already due but held back by a queue, a flow-control key or a test hold is past
   *   its delivery time: CANCELLED follows at once [inferred];
   * - a message whose HTTP call is running logs CANCEL_REQUESTED: the call is not aborted, no retry
   *   follows, and CANCELLED is logged when the call ends (unless it delivered).
   */
  cancel(messageId: string): boolean {
    const record = this.messages.get(messageId);
    if (!record || isTerminal(record.state) || record.state === "CANCEL_REQUESTED") return false;
    const held = this.ready.includes(record);
    record.state = "CANCEL_REQUESTED";
    this.logState(record, "CANCEL_REQUESTED");
    if (held) {
      this.ready = this.ready.filter((candidate) => candidate !== record);
      this.finish(record, "CANCELLED");
    }
    // Waiting: the timer set by waitUntil finishes it at its delivery time; running: attempt() does.
    return true;
  }

  /** Test control: messages to URLs starting with `urlPrefix` wait, due, until released. */
  hold(urlPrefix: string): void {
    this.held.add(urlPrefix);
  }

  release(urlPrefix: string): void {
    this.held.delete(urlPrefix);
    this.pump();
  }

  /** Re-examines waiting messages, e.g. after a queue or flow-control key was resumed. */
  pump(): void {
    const { clock, queues, flowControl } = this.deps;
    const now = clock.now();
    let wakeAt: number | undefined;
    const stillWaiting: MessageRecord[] = [];
    for (const record of this.ready) {
      if (record.state !== "CREATED" && record.state !== "RETRY") continue;
      const queueName = record.spec.queueName;
      const flowKey = record.spec.flowControl?.key;
      if (this.isHeld(record.spec.destination)) {
        stillWaiting.push(record);
        continue;
      }
      if (queueName && !queues.isOpen(queueName)) {
        stillWaiting.push(record);
        continue;
      }
      if (flowKey) {
        const verdict = flowControl.check(flowKey, now);
        if (!verdict.open) {
          if (verdict.retryAt !== undefined) wakeAt = Math.min(wakeAt ?? verdict.retryAt, verdict.retryAt);
          stillWaiting.push(record);
          continue;
        }
        flowControl.acquire(flowKey, now);
      }
      if (queueName) queues.acquire(queueName);
      void this.attempt(record);
    }
    this.ready = stillWaiting;
    if (wakeAt !== undefined) this.wakePumpAt(wakeAt);
  }

  onDelivery(listener: (delivery: DeliveryRecord) => void): () => void {
    this.deliveryListeners.add(listener);
    return () => this.deliveryListeners.delete(listener);
  }

  /** Resolves once no message is open (scheduled future ticks do not count). */
  whenIdle(): Promise<void> {
    if (this.openCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops every message and aborts running calls (close / reset). */
  clear(): void {
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
    for (const record of this.messages.values()) record.cancelTimer?.();
    this.cancelPumpTimer?.();
    this.cancelPumpTimer = undefined;
    this.pumpTimerAt = undefined;
    this.messages.clear();
    this.ready = [];
    this.deliveries.length = 0;
    this.openCount = 0;
    this.releaseIdleWaiters();
  }

  private isHeld(destination: string): boolean {
    for (const prefix of this.held) if (destination.startsWith(prefix)) return true;
    return false;
  }

  private waitUntil(record: MessageRecord, dueAt: number): void {
    record.dueAt = dueAt;
    record.cancelTimer = this.deps.clock.at(dueAt, () => {
      record.cancelTimer = undefined;
      // Cancelled while it waited: marked CANCELLED at its delivery time, not delivered (see cancel).
      if (record.state === "CANCEL_REQUESTED") {
        this.finish(record, "CANCELLED");
        return;
      }
      this.ready.push(record);
      this.pump();
    });
  }

  private wakePumpAt(at: number): void {
    if (this.pumpTimerAt !== undefined && this.pumpTimerAt <= at) return;
    this.cancelPumpTimer?.();
    this.pumpTimerAt = at;
    this.cancelPumpTimer = this.deps.clock.at(at, () => {
      this.cancelPumpTimer = undefined;
      this.pumpTimerAt = undefined;
      this.pump();
    });
  }

  private async attempt(record: MessageRecord): Promise<void> {
    const { clock, queues, flowControl } = this.deps;
    record.state = "ACTIVE";
    this.logState(record, "ACTIVE");
    const retried = record.retried;
    const headers = this.deliveryHeaders(record);
    const controller = new AbortController();
    this.inFlight.add(controller);
    const startedAt = Date.now();
    const result = await performAttempt({
      url: record.spec.destination,
      method: record.spec.method,
      headers,
      body: record.spec.body,
      timeoutMs: record.spec.timeoutMs ?? this.deps.maxResponseDurationMs,
      signal: controller.signal,
    });
    this.inFlight.delete(controller);
    if (controller.signal.aborted || this.messages.get(record.id) !== record) return; // cleared meanwhile
    if (record.spec.queueName) queues.release(record.spec.queueName);
    if (record.spec.flowControl) flowControl.release(record.spec.flowControl.key);

    const status = result.status;
    const delivered = status !== undefined && status >= 200 && status < 300;
    // "status 489 and header Upstash-NonRetryable-Error: true" (qstash/features/retry.mdx).
    const nonRetryable =
      status === 489 && String(result.headers["upstash-nonretryable-error"]).toLowerCase() === "true";
    // Re-read: cancel() may have changed the state while the call ran (TS narrowed it to ACTIVE).
    const cancelRequested = (record.state as MessageState) === "CANCEL_REQUESTED";
    const exhausted = record.retried >= record.spec.maxRetries;
    let outcome: DeliveryRecord["outcome"];
    if (delivered) outcome = "delivered";
    else if (cancelRequested) outcome = "cancelled";
    else if (nonRetryable || exhausted) outcome = "failed";
    else outcome = "retry";

    const delivery: DeliveryRecord = {
      messageId: record.id,
      url: record.spec.destination,
      method: record.spec.method,
      retried,
      headers,
      body: record.spec.body.toString("utf8"),
      ...(record.scheduleId ? { scheduleId: record.scheduleId } : {}),
      ...(record.spec.queueName ? { queueName: record.spec.queueName } : {}),
      ...(record.callbackOf ? { callbackOf: record.callbackOf } : {}),
      startedAt,
      finishedAt: Date.now(),
      ...(status === undefined ? {} : { status }),
      ...(result.error ? { error: result.error } : {}),
      outcome,
    };
    this.deliveries.push(delivery);
    for (const listener of this.deliveryListeners) listener(delivery);

    if (!delivered) this.logState(record, "ERROR", errorFields(result));
    // Callback after each attempt, delivered or not (qstash/features/callbacks.mdx, OA Upstash-Callback).
    if (record.spec.callback) this.publishCallback(record, "callback", result, retried);

    if (outcome === "delivered") this.finish(record, "DELIVERED");
    else if (outcome === "cancelled") this.finish(record, "CANCELLED");
    else if (outcome === "failed") this.deadLetter(record, result, retried);
    else {
      const delay = nextRetryDelayMs({
        retriesSoFar: record.retried,
        ...(record.spec.retryDelayExpression
          ? { expression: compileRetryDelay(record.spec.retryDelayExpression) }
          : {}),
        responseHeaders: result.headers,
        realNowMs: Date.now(),
        retryAfterOverridesRetryDelay: this.deps.retryAfterOverridesRetryDelay,
      });
      record.retried += 1;
      record.state = "RETRY";
      const now = clock.now();
      const dueAt = now + delay;
      this.logState(record, "RETRY", { time: Math.floor(now), nextDeliveryTime: Math.floor(dueAt) });
      this.waitUntil(record, dueAt);
    }
    this.pump();
  }

  /** Headers of one attempt (qstash/howto/receiving.mdx, plus the effective-config echoes). */
  private deliveryHeaders(record: MessageRecord): Record<string, string> {
    const { spec } = record;
    const headers: Record<string, string> = {};
    for (const [name, value] of spec.headers) headers[name.toLowerCase()] = value;
    headers["user-agent"] = "Upstash-QStash";
    headers["upstash-message-id"] = record.id;
    // "How often the message has been retried so far. Starts with 0." (receiving.mdx, retry.mdx).
    headers["upstash-retried"] = String(record.retried);
    // Echoed by QStash on deliveries (upstash/workflow-js src/constants.ts MAX_RETRIES_HEADER,
    // FLOW_CONTROL_*_HEADER, RETRY_DELAY_HEADER: "the configuration it applied to the delivery").
    headers["upstash-max-retries"] = String(spec.maxRetries);
    if (spec.retryDelayExpression) headers["upstash-retry-delay"] = spec.retryDelayExpression;
    if (spec.flowControl) {
      headers["upstash-flow-control-key"] = spec.flowControl.key;
      headers["upstash-flow-control-value"] = formatFlowControlValue(spec.flowControl);
    }
    if (record.scheduleId) headers["upstash-schedule-id"] = record.scheduleId;
    if (spec.callerIp) headers["upstash-caller-ip"] = spec.callerIp;
    headers["upstash-signature"] = signDelivery({
      signingKey: this.deps.signingKey(),
      url: spec.destination,
      body: spec.body,
    });
    return headers;
  }

  private deadLetter(record: MessageRecord, result: AttemptResult, retried: number): void {
    const entry = this.deps.dlq.add(
      record,
      {
        ...(result.status === undefined ? {} : { responseStatus: result.status }),
        responseHeaders: result.headers,
        responseBody: result.body,
      },
      this.deps.clock.now(),
    );
    record.dlqId = entry.dlqId;
    if (record.spec.failureCallback)
      this.publishCallback(record, "failureCallback", result, retried, entry.dlqId);
    this.finish(record, "FAILED", { ...errorFields(result) });
  }

  private publishCallback(
    record: MessageRecord,
    kind: "callback" | "failureCallback",
    result: AttemptResult,
    retried: number,
    dlqId?: string,
  ): void {
    const callback = kind === "callback" ? record.spec.callback : record.spec.failureCallback;
    if (!callback) return;
    const spec = callbackMessageSpec({
      source: record,
      callback,
      response: result,
      retried,
      ...(dlqId ? { dlqId } : {}),
    });
    this.create(spec, {
      dueAt: this.deps.clock.now() + (callback.delayMs ?? 0),
      callbackOf: { sourceMessageId: record.id, kind },
    });
  }

  private finish(record: MessageRecord, state: MessageState, extra: Partial<LogEntry> = {}): void {
    record.state = state;
    record.cancelTimer?.();
    record.cancelTimer = undefined;
    this.logState(record, state, extra);
    this.openCount -= 1;
    if (this.openCount === 0) this.releaseIdleWaiters();
  }

  private releaseIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private logState(record: MessageRecord, state: MessageState, extra: Partial<LogEntry> = {}): void {
    const { spec } = record;
    this.deps.log.append({
      time: Math.floor(this.deps.clock.now()),
      state,
      messageId: record.id,
      url: spec.destination,
      // OA LogEntry: "header: The headers of the message", "body: Base64 encoded body of the message".
      header: headerMap(spec.headers),
      ...(spec.body.length > 0 ? { body: spec.body.toString("base64") } : {}),
      ...(spec.queueName ? { queueName: spec.queueName } : {}),
      ...(record.scheduleId ? { scheduleId: record.scheduleId } : {}),
      maxRetries: spec.maxRetries,
      ...(spec.retryDelayExpression ? { retryDelayExpression: spec.retryDelayExpression } : {}),
      ...(spec.labels.length > 0 ? { label: spec.labels[0], labels: spec.labels } : {}),
      ...extra,
    });
  }
}

function errorFields(result: AttemptResult): Partial<LogEntry> {
  const fields: Partial<LogEntry> = {};
  if (result.status !== undefined) {
    fields.responseStatus = result.status;
    fields.responseBody = result.body.toString("base64");
    fields.error = `HTTP ${result.status}`;
  }
  if (result.error) fields.error = result.error;
  return fields;
}
