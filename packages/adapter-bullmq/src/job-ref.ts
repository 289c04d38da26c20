/**
 * A Switchyard job id on BullMQ is `<job name>:<BullMQ job id>`: each job name has its own queue, and
 * the id says which one without a lookup. Job names cannot contain ":", so the first ":" splits it
 * (BullMQ ids of scheduled runs, `repeat:<schedule>:<time>`, keep theirs).
 */
export interface JobRef {
  queue: string;
  jobId: string;
}

export function formatJobId(queue: string, jobId: string): string {
  return `${queue}:${jobId}`;
}

/** The queue and BullMQ id of a Switchyard id, or undefined when it is not one of ours. */
export function parseJobId(id: string): JobRef | undefined {
  if (typeof id !== "string") return undefined;
  const colon = id.indexOf(":");
  if (colon < 1 || colon === id.length - 1) return undefined;
  const queue = id.slice(0, colon);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(queue)) return undefined;
  return { queue, jobId: id.slice(colon + 1) };
}
