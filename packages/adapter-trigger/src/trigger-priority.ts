/** Switchyard priorities run from 0 (first) to 1000 (last). */
export const LOWEST_PRIORITY = 1000;

/**
 * Trigger.dev's `priority` is seconds of head start in the queue: "If you specify a priority of
 * 10 the run will dequeue before runs that were triggered with no priority 8 seconds ago"
 * (trigger.dev/docs/runs/priority). Switchyard's is an order, lower first, default 0. So priority
 * `p` becomes a head start of `1000 - p` seconds: among jobs queued within a few seconds of each
 * other the lower number runs first, and a job that has waited longer than the difference (in
 * seconds) keeps its place. Every run gets one, so that the default (0) stays ahead of 10.
 */
export function triggerPriority(priority = 0): number {
  return LOWEST_PRIORITY - priority;
}
