import type { IncomingHttpHeaders } from "node:http";
import { encodeBody, headerMap } from "./api-encoding.js";
import { newDlqId } from "./id-generator.js";
import { type MessageFilter, matchesFilter } from "./message-filter.js";
import { type MessageRecord, toApiMessage } from "./message-record.js";

export interface DlqEntry {
  dlqId: string;
  message: MessageRecord;
  /** Emulator-clock time the message entered the DLQ. */
  createdAt: number;
  responseStatus?: number;
  responseHeaders: IncomingHttpHeaders;
  responseBody: Buffer;
}

/**
 * Dead letter queue (qstash/features/dlq.mdx): a message lands here when its retries are exhausted
 * or on the non-retryable 489 signal, with the last response. Retention is plan dependent in
 * QStash; the emulator keeps entries until they are deleted, retried or `reset()`.
 */
export class DeadLetterQueue {
  private readonly entries = new Map<string, DlqEntry>();

  add(
    message: MessageRecord,
    response: Omit<DlqEntry, "dlqId" | "message" | "createdAt">,
    now: number,
  ): DlqEntry {
    const entry: DlqEntry = { dlqId: newDlqId(now), message, createdAt: now, ...response };
    this.entries.set(entry.dlqId, entry);
    return entry;
  }

  get(dlqId: string): DlqEntry | undefined {
    return this.entries.get(dlqId);
  }

  delete(dlqId: string): boolean {
    return this.entries.delete(dlqId);
  }

  /** Matching entries, newest first [inferred order: the docs do not state one]. */
  query(filter: MessageFilter): DlqEntry[] {
    return [...this.entries.values()]
      .filter((entry) => {
        const { message } = entry;
        const { spec } = message;
        return matchesFilter(filter, {
          messageId: message.id,
          dlqId: entry.dlqId,
          url: spec.destination,
          ...(message.scheduleId ? { scheduleId: message.scheduleId } : {}),
          ...(spec.queueName ? { queueName: spec.queueName } : {}),
          labels: spec.labels,
          ...(spec.flowControl ? { flowControlKey: spec.flowControl.key } : {}),
          ...(spec.callerIp ? { callerIp: spec.callerIp } : {}),
          ...(entry.responseStatus === undefined ? {} : { responseStatus: entry.responseStatus }),
          time: entry.createdAt,
        });
      })
      .reverse();
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The `DlqMessage` object (QT:895-915, OA DLQMessage). */
export function toApiDlqMessage(entry: DlqEntry): Record<string, unknown> {
  const responseHeader = headerMap(
    Object.entries(entry.responseHeaders).flatMap(([name, value]) =>
      value === undefined
        ? []
        : (Array.isArray(value) ? value : [value]).map((v): [string, string] => [name, v]),
    ),
  );
  return {
    ...toApiMessage(entry.message),
    dlqId: entry.dlqId,
    ...(entry.responseStatus === undefined ? {} : { responseStatus: entry.responseStatus }),
    responseHeader,
    ...encodeBody(entry.responseBody, "response"),
  };
}
