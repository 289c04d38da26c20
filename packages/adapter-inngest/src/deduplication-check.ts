import { IDEMPOTENCY_WINDOW_MS } from "./inngest-capabilities.js";
import type { InngestRestClient } from "./inngest-rest-client.js";
import { eventsWithIds } from "./job-lookup.js";

/**
 * Events this close to the end of Inngest's 24-hour window are left out: whether their claim on the
 * id still holds when the new event is processed cannot be known, and a wrong "duplicate" is the
 * error to avoid.
 */
const WINDOW_MARGIN_MS = 60_000;

/** One keyed event just sent: its id (the keyed job id) and the internal id `send` returned. */
export interface SentKeyedEvent {
  id: string;
  sentEventId: string;
}

export interface DeduplicationCheck {
  rest: InngestRestClient;
  jobName: string;
  /** The keyed events of `jobName` just sent. */
  sent: ReadonlyArray<SentKeyedEvent>;
  /** How long to wait for a run to show when it cannot be decided yet (runCreationWait). */
  waitMs: number;
  /** Waits `ms` (cut short by close()). */
  pause: (ms: number) => Promise<void>;
}

/**
 * Which of the keyed events just sent are duplicates (their internal ids). Inngest starts one run
 * per function per event id within 24 h
 * (https://www.inngest.com/docs/durable-execution/guides-and-advanced/idempotency): the runner
 * schedules a run with the event's id as its idempotency key (G:pkg/execution/runner/runner.go:677-692).
 * But the event API answers a duplicate like a new event, with a new internal id ("Never use e.ID as
 * the internal ID"; event idempotency "is currently enforced when scheduling runs",
 * G:pkg/event/legacy_types.go:13-34), and it answers before any run exists: it publishes the event
 * to a stream and returns (G:pkg/devserver/service.go:387-426). So each answer is read from the
 * other events sent with the same id, found in one scan of the job's events:
 * - none in the window: a new job (not a duplicate), at once;
 * - one of them started a run: a duplicate, at once;
 * - some exist but none has a run yet (sent moments ago, or before the app was synced): whichever
 *   of them, or the event just sent, gets a run first decides; not a duplicate if none does within
 *   `waitMs`.
 * Runs are read through REST v2, which has no cache. So a new job is never reported a duplicate; a
 * duplicate whose earlier event the listing does not show (yet) is reported new.
 */
export async function findDuplicates(check: DeduplicationCheck): Promise<Set<string>> {
  const { rest } = check;
  const since = new Date(Date.now() - IDEMPOTENCY_WINDOW_MS + WINDOW_MARGIN_MS);
  const wanted = new Set(check.sent.map((event) => event.id));
  const byId = new Map<string, string[]>();
  for await (const event of eventsWithIds(rest, check.jobName, wanted, since)) {
    byId.set(event.id, [...(byId.get(event.id) ?? []), event.internal_id]);
  }
  const duplicates = new Set<string>();
  let undecided = check.sent
    .map((event) => ({
      ...event,
      others: (byId.get(event.id) ?? []).filter((internalId) => internalId !== event.sentEventId),
    }))
    .filter((event) => event.others.length > 0);
  const hasRun = async (internalId: string) => (await rest.eventRuns(internalId)).length > 0;
  const deadline = Date.now() + check.waitMs;
  for (let wait = 50; undecided.length > 0; wait = Math.min(wait * 2, 500)) {
    const pending: typeof undecided = [];
    for (const event of undecided) {
      let decided = false;
      for (const other of event.others) {
        if (await hasRun(other)) {
          duplicates.add(event.sentEventId);
          decided = true;
          break;
        }
      }
      if (!decided && !(await hasRun(event.sentEventId))) pending.push(event);
    }
    undecided = pending;
    if (undecided.length === 0 || Date.now() + wait > deadline) break;
    await check.pause(wait);
  }
  return duplicates;
}
