import type { AnyRetrieveRunResult } from "@trigger.dev/sdk";
import { isFailed } from "./job-snapshot.js";
import { jobTag, replayedAs, replayedAsTag } from "./job-tags.js";

/** The Trigger.dev calls a job's run history needs; the backend makes them with its error handling. */
export interface RunHistoryApi {
  /** `runs.retrieve`; undefined when Trigger.dev knows no run of that id. */
  retrieve(runId: string): Promise<AnyRetrieveRunResult | undefined>;
  /** The newest run of the task that carries `tag` (`runs.list`, newest first), if any. */
  newestTagged(tag: string, taskIdentifier: string): Promise<string | undefined>;
  /** `POST /api/v1/runs/{id}/tags`: adds tags to a run, finished or not; the ones it has are kept. */
  addTags(runId: string, tags: string[]): Promise<void>;
  /** `runs.replay`: the new run's id. */
  replay(runId: string): Promise<string>;
}

/**
 * The runs behind one job id: its first run, then the replay `retry(id)` made of it, the replay of
 * that, and so on. The chain does not rely on replay overrides: the webapp's replay route ignores
 * the request's body (W:apps/webapp/app/routes/api.v1.runs.$runParam.replay.ts:133-137), so tags
 * passed as overrides never reach the replay. Instead:
 * - before a run is replayed it is tagged with the job's id, and the replay copies the tags the run
 *   carries (W:apps/webapp/app/v3/services/replayTaskRun.server.ts:99): the handler of every run of
 *   the chain sees the job's id;
 * - once replayed, it is tagged with the replay's id (the replay answer's `id`), the link `newest`
 *   follows. Tags can be added to any run, finished or not
 *   (W:apps/webapp/app/routes/api.v1.runs.$runId.tags.ts:53-104). Each link is read with
 *   `runs.retrieve`, which reads the run itself, not a list that may lag behind.
 */
export class RunHistory {
  readonly #api: RunHistoryApi;

  constructor(api: RunHistoryApi) {
    this.#api = api;
  }

  /** The job's newest run (undefined for an unknown id), following the replay links from its first run. */
  async newest(jobId: string): Promise<AnyRetrieveRunResult | undefined> {
    let run = await this.#api.retrieve(jobId);
    if (!run) return undefined;
    const seen = new Set([run.id]);
    for (
      let next = replayedAs(run.tags);
      next !== undefined && !seen.has(next);
      next = replayedAs(run.tags)
    ) {
      const replay = await this.#api.retrieve(next);
      if (!replay) break;
      seen.add(next);
      run = replay;
    }
    // A run tagged for a replay but not linked to one: the replay may have been made and its link
    // not written (the process died in between). The list finds it by the job's tag.
    if (isFailed(run.status) && run.tags.includes(jobTag(jobId))) {
      const newest = await this.#api.newestTagged(jobTag(jobId), run.taskIdentifier);
      const found = newest && !seen.has(newest) ? await this.#api.retrieve(newest) : undefined;
      if (found && found.createdAt > run.createdAt) run = found;
    }
    return run;
  }

  /** Replays the job's newest run `run` (a failed one) as a new run of the chain; its id. */
  async replay(jobId: string, run: AnyRetrieveRunResult): Promise<string> {
    await this.#api.addTags(run.id, [jobTag(jobId)]);
    const replayId = await this.#api.replay(run.id);
    await this.#api.addTags(run.id, [replayedAsTag(replayId)]);
    return replayId;
  }

  /** Whether `run` was replayed since (it is not its job's state any more). */
  static wasReplayed(run: { tags?: ReadonlyArray<string> }): boolean {
    return replayedAs(run.tags) !== undefined;
  }
}
