import type { LogEntry } from "./interfaces.js";
import { type MessageFilter, matchesFilter } from "./message-filter.js";

/**
 * Message state transitions, served by `GET /v2/events` (the SDK's `Client.logs()`, Q:2493-2506)
 * newest first, with the states of OA LogEntry.state. Real QStash keeps logs for a plan-dependent
 * time; the emulator keeps them until `reset()`.
 */
export class EventLog {
  readonly entries: LogEntry[] = [];
  private readonly listeners = new Set<(entry: LogEntry) => void>();

  append(entry: LogEntry): void {
    this.entries.push(entry);
    for (const listener of this.listeners) listener(entry);
  }

  subscribe(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Matching entries, newest first. */
  query(filter: MessageFilter): LogEntry[] {
    const matching = this.entries.filter((entry) =>
      matchesFilter(filter, {
        messageId: entry.messageId,
        url: entry.url,
        ...(entry.topicName ? { topicName: entry.topicName } : {}),
        ...(entry.scheduleId ? { scheduleId: entry.scheduleId } : {}),
        ...(entry.queueName ? { queueName: entry.queueName } : {}),
        labels: entry.labels ?? [],
        state: entry.state,
        time: entry.time,
      }),
    );
    return matching.reverse();
  }

  clear(): void {
    this.entries.length = 0;
  }
}
