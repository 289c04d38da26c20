import type { EventRecord } from "./types.js";

/** Fixed ids reported as `account_id` / `environment_id`. */
const ACCOUNT_ID = "00000000-0000-4000-8000-000000000002";
const ENVIRONMENT_ID = "00000000-0000-4000-8000-000000000001";

/**
 * An event as REST v1 returns it (`cqrs.Event`, G:pkg/cqrs/events.go:28-41):
 * `internal_id` is the server id `send` returned, `id` the sender's id (or
 * the internal id when none was given).
 */
export function toV1Event(record: EventRecord): Record<string, unknown> {
  const { event } = record;
  return {
    internal_id: record.internalId,
    account_id: ACCOUNT_ID,
    environment_id: ENVIRONMENT_ID,
    source: "",
    source_id: null,
    received_at: record.receivedAt.toISOString(),
    id: event.id,
    name: event.name,
    data: event.data,
    ...(event.user ? { user: event.user } : {}),
    ts: event.ts,
    ...(event.v ? { v: event.v } : {}),
  };
}
