import { encodeBody, headerMap } from "./api-encoding.js";
import type { MessageSnapshot, MessageState } from "./interfaces.js";
import type { MessageSpec } from "./publish-request.js";

/** The emulator's record of one message across its attempts. */
export interface MessageRecord {
  id: string;
  spec: MessageSpec;
  /** Creation order; queues deliver in this order. */
  seq: number;
  createdAt: number;
  /** Emulator-clock time the first attempt was due (createdAt + delay, or the not-before time). */
  notBefore: number;
  state: MessageState;
  /** Retries done so far = `Upstash-Retried` of the next attempt. */
  retried: number;
  /** Emulator-clock time the next attempt is due while the message waits. */
  dueAt?: number;
  cancelTimer?: () => void;
  scheduleId?: string;
  deduplicationId?: string;
  dlqId?: string;
  callbackOf?: { sourceMessageId: string; kind: "callback" | "failureCallback" };
}

const TERMINAL: ReadonlySet<MessageState> = new Set(["DELIVERED", "FAILED", "CANCELLED"]);

export const isTerminal = (state: MessageState) => TERMINAL.has(state);

/** The `Message` object of `GET /v2/messages/{id}` (QT:716-856, OA Message). */
export function toApiMessage(record: MessageRecord): Record<string, unknown> {
  const { spec } = record;
  const flow = spec.flowControl;
  return {
    messageId: record.id,
    url: spec.destination,
    method: spec.method,
    header: headerMap(spec.headers),
    ...encodeBody(spec.body),
    maxRetries: spec.maxRetries,
    ...(spec.retryDelayExpression === undefined ? {} : { retryDelayExpression: spec.retryDelayExpression }),
    notBefore: Math.floor(record.notBefore),
    createdAt: Math.floor(record.createdAt),
    ...(spec.callback ? { callback: spec.callback.url } : {}),
    ...(spec.failureCallback ? { failureCallback: spec.failureCallback.url } : {}),
    ...(spec.queueName ? { queueName: spec.queueName } : {}),
    ...(record.scheduleId ? { scheduleId: record.scheduleId } : {}),
    ...(spec.callerIp ? { callerIp: spec.callerIp } : {}),
    ...(flow
      ? {
          flowControlKey: flow.key,
          ...(flow.parallelism === undefined ? {} : { parallelism: flow.parallelism }),
          ...(flow.rate === undefined ? {} : { rate: flow.rate, period: flow.periodMs / 1000 }),
        }
      : {}),
    ...(spec.labels.length > 0 ? { label: spec.labels[0], labels: spec.labels } : {}),
  };
}

export function toSnapshot(record: MessageRecord): MessageSnapshot {
  return {
    messageId: record.id,
    url: record.spec.destination,
    state: record.state,
    retried: record.retried,
    maxRetries: record.spec.maxRetries,
    createdAt: record.createdAt,
    ...(record.dueAt === undefined || isTerminal(record.state) ? {} : { nextDeliveryAt: record.dueAt }),
    ...(record.spec.queueName ? { queueName: record.spec.queueName } : {}),
    ...(record.scheduleId ? { scheduleId: record.scheduleId } : {}),
    ...(record.spec.flowControl ? { flowControlKey: record.spec.flowControl.key } : {}),
    labels: record.spec.labels,
    ...(record.dlqId ? { dlqId: record.dlqId } : {}),
    ...(record.deduplicationId ? { deduplicationId: record.deduplicationId } : {}),
  };
}
