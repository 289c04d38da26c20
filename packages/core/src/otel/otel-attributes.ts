// Attribute and instrument names. The `messaging.*` and `error.type` ones are OpenTelemetry's messaging
// semantic conventions (semconv docs/messaging/messaging-spans.md and messaging-metrics.md); the
// `switchyard.*` ones are Switchyard's own, for what the conventions have no name for.

/**
 * `messaging.system` of every Switchyard span and metric: "switchyard", not the backend's name. The
 * spans describe Switchyard's API (an enqueue, an attempt with Switchyard's retry semantics), which is
 * the same on every backend, so dashboards keep working when the backend changes; the backend is in
 * `switchyard.backend`. A backend's own instrumentation (BullMQ's, pg's) adds its spans beneath.
 */
export const MESSAGING_SYSTEM = "switchyard";

export const ATTR_MESSAGING_SYSTEM = "messaging.system";
export const ATTR_OPERATION_TYPE = "messaging.operation.type";
export const ATTR_OPERATION_NAME = "messaging.operation.name";
export const ATTR_DESTINATION_NAME = "messaging.destination.name";
export const ATTR_MESSAGE_ID = "messaging.message.id";
export const ATTR_BATCH_MESSAGE_COUNT = "messaging.batch.message_count";
export const ATTR_ERROR_TYPE = "error.type";

/** The backend's name, as in its capability manifest (`memory`, `bullmq`, `postgres`, ...). */
export const ATTR_BACKEND = "switchyard.backend";
/** The attempt number, 1 on the first. */
export const ATTR_ATTEMPT = "switchyard.attempt";
/** The attempt's outcome: `completed`, `retrying`, `failed`, `cancelled` or `suspended` (as the lifecycle events). */
export const ATTR_OUTCOME = "switchyard.outcome";
/** On an enqueue span: true when the idempotency key matched an existing job. */
export const ATTR_DEDUPLICATED = "switchyard.deduplicated";
/** On the queue-depth gauge: the jobs' state (`waiting`, `delayed`, `active`, ...). */
export const ATTR_JOB_STATE = "switchyard.job.state";

/** Counter of attempts by outcome. */
export const METRIC_ATTEMPTS = "switchyard.attempts";
/** Histogram of attempt durations in seconds (semconv `messaging.process.duration`). */
export const METRIC_PROCESS_DURATION = "messaging.process.duration";
/** Observable gauge of jobs by job name and state, where the backend counts them. */
export const METRIC_QUEUE_DEPTH = "switchyard.queue.depth";

/** The histogram buckets the messaging conventions advise for `messaging.process.duration`. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
