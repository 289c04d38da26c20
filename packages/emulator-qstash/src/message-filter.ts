/**
 * Query filters shared by `GET/DELETE /v2/dlq`, `DELETE /v2/messages` and `GET /v2/events`.
 * The SDK sends arrays as repeated keys and Dates as epoch ms (Q:1551-1566); the server also
 * accepts comma-joined values (OA), so both are read. Values of one field are ORed, fields are
 * ANDed (QT UniversalFilterFields JSDoc). The SDK renames `urlGroup` to `topicName` (Q:494-497).
 */
export interface MessageFilter {
  messageIds?: string[];
  dlqIds?: string[];
  url?: string[];
  topicName?: string[];
  scheduleId?: string[];
  queueName?: string[];
  label?: string[];
  flowControlKey?: string[];
  callerIp?: string[];
  host?: string[];
  path?: string[];
  responseStatus?: number[];
  state?: string[];
  fromDate?: number;
  toDate?: number;
}

/** What a filter is matched against. */
export interface FilterSubject {
  messageId: string;
  dlqId?: string;
  url: string;
  topicName?: string;
  scheduleId?: string;
  queueName?: string;
  labels: string[];
  flowControlKey?: string;
  callerIp?: string;
  responseStatus?: number;
  state?: string;
  /** Emulator-clock ms compared with fromDate/toDate. */
  time: number;
}

const LIST_FIELDS = [
  "messageIds",
  "dlqIds",
  "topicName",
  "scheduleId",
  "queueName",
  "label",
  "flowControlKey",
  "callerIp",
  "host",
  "path",
  "state",
] as const;

/** Reads a filter from a query string. Returns undefined fields for absent keys. */
export function parseFilter(query: URLSearchParams): MessageFilter {
  const filter: MessageFilter = {};
  const many = (key: string) =>
    query
      .getAll(key)
      .flatMap((value) => value.split(","))
      .map((value) => value.trim())
      .filter(Boolean);
  for (const field of LIST_FIELDS) {
    const values = many(field);
    if (values.length > 0) filter[field] = values;
  }
  // Single-id spellings (`messageId`, deprecated in the SDK) and URLs, which may contain commas.
  const messageId = query.get("messageId");
  if (messageId) filter.messageIds = [...(filter.messageIds ?? []), messageId];
  const urls = query.getAll("url").filter(Boolean);
  if (urls.length > 0) filter.url = urls;
  const statuses = many("responseStatus").map(Number);
  if (statuses.length > 0) filter.responseStatus = statuses;
  const from = query.get("fromDate");
  if (from) filter.fromDate = Number(from);
  const to = query.get("toDate");
  if (to) filter.toDate = Number(to);
  return filter;
}

/** True when `filter` restricts nothing (e.g. `{ all: true }`, which the SDK sends as `count` only). */
export function isEmptyFilter(filter: MessageFilter): boolean {
  return Object.keys(filter).length === 0;
}

const oneOf = <T>(allowed: T[] | undefined, value: T | undefined) =>
  allowed === undefined || (value !== undefined && allowed.includes(value));

export function matchesFilter(filter: MessageFilter, subject: FilterSubject): boolean {
  let host: string | undefined;
  let path: string | undefined;
  if (filter.host || filter.path) {
    const url = new URL(subject.url);
    host = url.host;
    path = url.pathname;
  }
  return (
    oneOf(filter.messageIds, subject.messageId) &&
    oneOf(filter.dlqIds, subject.dlqId) &&
    oneOf(filter.url, subject.url) &&
    oneOf(filter.topicName, subject.topicName) &&
    oneOf(filter.scheduleId, subject.scheduleId) &&
    oneOf(filter.queueName, subject.queueName) &&
    (filter.label === undefined || subject.labels.some((label) => filter.label?.includes(label))) &&
    oneOf(filter.flowControlKey, subject.flowControlKey) &&
    oneOf(filter.callerIp, subject.callerIp) &&
    oneOf(filter.host, host) &&
    oneOf(filter.path, path) &&
    oneOf(filter.responseStatus, subject.responseStatus) &&
    oneOf(filter.state, subject.state) &&
    (filter.fromDate === undefined || subject.time >= filter.fromDate) &&
    (filter.toDate === undefined || subject.time <= filter.toDate)
  );
}

/**
 * Cursor paging over a list already in display order: the cursor is the index of the next item,
 * and is omitted on the last page.
 */
export function paginate<T>(
  items: T[],
  count: number,
  cursor: string | null,
): { page: T[]; cursor?: string } {
  const start = cursor ? Math.max(0, Number.parseInt(cursor, 10) || 0) : 0;
  const end = start + count;
  return { page: items.slice(start, end), ...(end < items.length ? { cursor: String(end) } : {}) };
}

/** `count` query param; the SDK's bulk default is 100 (Q:317 DEFAULT_BULK_COUNT). */
export function parseCount(query: URLSearchParams, fallback = 100): number {
  const raw = Number(query.get("count"));
  return Number.isInteger(raw) && raw > 0 ? raw : fallback;
}
