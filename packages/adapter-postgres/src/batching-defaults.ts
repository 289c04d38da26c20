import { ConfigError } from "@switchyard/core";

/**
 * The graphile-worker settings every worker pool starts from: a local queue (jobs fetched in batches of
 * `size` and handed out from memory) and batched completion (the outcomes of the jobs that end in the same
 * turn of the event loop stored in one statement). `graphilePreset` overrides each of them; graphile-worker
 * replaces a scope's keys whole, so a `localQueue` given there replaces this one.
 *
 * What they trade: a local queue holds jobs locked ahead of their start (a lone job is fetched as soon as
 * it is notified, so its latency does not grow; jobs locked ahead wait in this process while another one
 * could be idle, until `localQueue.ttl`, 5 minutes, returns them); a crashed process's local queue waits for
 * stalled-job recovery (`stalledAfter`) before it runs elsewhere, with its attempts given back
 * (started-jobs.ts). Batched completion delays a job's deletion by one timer turn (`setTimeout(0)`).
 */
export const DEFAULT_LOCAL_QUEUE_SIZE = 500;

/**
 * A worker pool's preset: the defaults above for `concurrency`, then the user's preset over them. A worker
 * running jobs with a concurrency limit (`lanes`: their jobs go to graphile-worker named queues) keeps
 * graphile-worker's defaults: graphile-worker 0.17.3 fetches a batch with one lock per named queue but
 * several jobs of it, which would run a lane's jobs side by side (a local queue asked for there is a
 * ConfigError), and a lane is handed over once its job's completion is stored, which batching delays.
 */
export function workerPreset(
  concurrency: number,
  user: GraphileConfig.Preset | undefined,
  options: { lanes: boolean },
): GraphileConfig.Preset {
  const defaults: GraphileConfig.Preset = {
    worker: options.lanes
      ? {}
      : {
          // graphile-worker warns (and slows down) when its local queue is smaller than the concurrency.
          localQueue: { size: Math.max(DEFAULT_LOCAL_QUEUE_SIZE, concurrency) },
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
  };
  const preset = user ? { extends: [defaults, user] } : defaults;
  if (options.lanes && localQueueSize(preset) > 0) {
    throw new ConfigError(
      "postgres(): graphilePreset.worker.localQueue must be left unset for a worker running jobs with a concurrency limit: graphile-worker fetches several jobs of one named queue into a local queue, which would run them side by side",
    );
  }
  return preset;
}

/**
 * The local queue size a preset resolves to (-1: none), as graphile-config resolves it: a preset's
 * `extends` in order, then its own settings, the last `worker.localQueue` given winning.
 */
export function localQueueSize(preset: GraphileConfig.Preset): number {
  return lastLocalQueue(preset, new Set())?.size ?? -1;
}

type LocalQueueSettings = NonNullable<GraphileConfig.WorkerOptions["localQueue"]>;

function lastLocalQueue(preset: GraphileConfig.Preset, seen: Set<unknown>): LocalQueueSettings | undefined {
  if (seen.has(preset)) return undefined;
  seen.add(preset);
  let found: LocalQueueSettings | undefined;
  for (const parent of preset.extends ?? []) found = lastLocalQueue(parent, seen) ?? found;
  return preset.worker?.localQueue ?? found;
}
