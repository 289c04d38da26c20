import { contentDeduplicationId } from "./deduplication.js";
import type { EmulatorState } from "./emulator-state.js";
import type { PublishRequest } from "./publish-request.js";

export interface PublishOutcome {
  messageId: string;
  /** True when an earlier message with the same deduplication id was returned instead. */
  deduplicated: boolean;
}

/**
 * Accepts one parsed publish: deduplicates it, computes when it is due, and hands it to the engine.
 *
 * - `Upstash-Not-Before` (unix s) wins over `Upstash-Delay` (OA Upstash-Not-Before). It is a
 *   wall-clock time, so the emulator measures its distance from the REAL now and waits that long on
 *   its own clock (i.e. scaled by timeScale). A past time means "now".
 * - `Upstash-Delay` is a duration on the emulator clock.
 */
export function publishMessage(
  state: EmulatorState,
  request: PublishRequest,
  extra: { scheduleId?: string } = {},
): PublishOutcome {
  const now = state.clock.now();
  const { spec } = request;
  const deduplicationId =
    request.deduplicationId ??
    (request.contentBasedDeduplication
      ? contentDeduplicationId(spec.destination, spec.body, spec.headers)
      : undefined);
  if (deduplicationId !== undefined) {
    const existing = state.deduplication.lookup(deduplicationId, now);
    if (existing !== undefined) return { messageId: existing, deduplicated: true };
  }
  let dueAt = now;
  if (request.notBeforeMs !== undefined) dueAt = now + Math.max(0, request.notBeforeMs - Date.now());
  else if (request.delayMs !== undefined) dueAt = now + request.delayMs;
  const record = state.engine.create(spec, {
    dueAt,
    ...(extra.scheduleId ? { scheduleId: extra.scheduleId } : {}),
    ...(deduplicationId === undefined ? {} : { deduplicationId }),
  });
  if (deduplicationId !== undefined) state.deduplication.remember(deduplicationId, record.id, now);
  return { messageId: record.id, deduplicated: false };
}
