import type { ApiEvent, InngestRestClient } from "./inngest-rest-client.js";
import { eventNameFor, INVOKED_EVENT, jobNameOf, parseJobId } from "./job-id.js";
import type { FoundJob } from "./job-snapshot.js";

/** How far back, and through how many events, a keyed job id is looked for. */
const KEYED_LOOKBACK_MS = 7 * 86_400_000;
const KEYED_SCAN_EVENTS = 1_000;
const EVENTS_PAGE = 50;

/**
 * The events of job `jobName` sent with one of the ids `ids` (keyed job ids), newest first,
 * received after `since`, among the job's newest KEYED_SCAN_EVENTS events. `GET /v1/events` is the
 * only way to find events by the sender's id (it filters by name and time, not id) and is not
 * cached (G:pkg/api/apiv1/events.go:47-96).
 */
export async function* eventsWithIds(
  rest: InngestRestClient,
  jobName: string,
  ids: ReadonlySet<string>,
  since: Date,
): AsyncGenerator<ApiEvent> {
  let cursor: string | undefined;
  for (let scanned = 0; scanned < KEYED_SCAN_EVENTS; scanned += EVENTS_PAGE) {
    const page = await rest.events({
      name: eventNameFor(jobName),
      receivedAfter: since,
      cursor,
      limit: EVENTS_PAGE,
    });
    for (const event of page) if (ids.has(event.id)) yield event;
    if (page.length < EVENTS_PAGE) return;
    cursor = page.at(-1)?.internal_id;
  }
}

/**
 * The event behind a job id and the runs REST v2 lists for it (REST v1's list of an event's runs is
 * cached for 15 s, see InngestRestClient), or undefined when Inngest does not know it. For a keyed
 * id, the newest event with that id that started a run holds the job (the others were duplicates);
 * when none has a run yet, the newest event.
 */
export async function findJob(rest: InngestRestClient, id: string): Promise<FoundJob | undefined> {
  const ref = parseJobId(id);
  if (!ref) return undefined;
  if (ref.kind === "event") {
    const event = await rest.event(ref.eventId);
    const jobName = event && (jobNameOf(event.name) ?? invokedJobName(event));
    if (!event || jobName === undefined) return undefined;
    return { event, jobName, runs: await rest.eventRuns(event.internal_id) };
  }
  let newest: FoundJob | undefined;
  const since = new Date(Date.now() - KEYED_LOOKBACK_MS);
  for await (const event of eventsWithIds(rest, ref.jobName, new Set([id]), since)) {
    const found = { event, jobName: ref.jobName, runs: await rest.eventRuns(event.internal_id) };
    if (found.runs.length > 0) return found;
    newest ??= found;
  }
  return newest;
}

/**
 * The job of a child started by `ctx.step.invoke`: Inngest's invoke event (named
 * `inngest/function.invoked`) carries the Switchyard event data, with the job's name (job-event.ts).
 */
function invokedJobName(event: ApiEvent): string | undefined {
  const job = (event.data as { job?: unknown } | undefined)?.job;
  return event.name === INVOKED_EVENT && typeof job === "string" ? job : undefined;
}
