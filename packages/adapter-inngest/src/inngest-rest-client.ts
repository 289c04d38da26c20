import { fetchFailure } from "@switchyard/core/adapter";
import { InngestApiError } from "./inngest-api-error.js";
import { restFailure } from "./inngest-failure.js";
import { signingKeyBearer } from "./signing-key-bearer.js";

/** An event as REST v1 returns it (`GET /v1/events/{id}`, `GET /v1/events`). */
export interface ApiEvent {
  /** The server's id: what `send` returned. */
  internal_id: string;
  /** The sender's id (the internal id when none was sent). */
  id: string;
  name: string;
  data: Record<string, unknown>;
  /** Event time, epoch milliseconds. */
  ts?: number;
  received_at?: string;
}

/**
 * A run as REST v2 returns it (`GET /v2/runs`, `GET /v2/events/{id}/runs`; message `FunctionRun`,
 * G:proto/api/v2/service.proto:2345-2356, in protojson: enum prefixes dropped, G:pkg/api/v2/enum_json.go).
 */
export interface ApiRun {
  id: string;
  /** `QUEUED`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED` (G:pkg/api/v2/endpoints_runs.go:583-596). */
  status: string;
  function?: { id?: string };
  trigger?: { eventIds?: string[]; eventName?: string; cronSchedule?: string };
  queuedAt?: string;
  endedAt?: string;
  /**
   * With `include_output=true`: a listed run's output, its `data` wrapper taken off (a failure stays
   * `{error}`); a value that is not an object comes as `{data: value}` (see run-output.ts).
   */
  output?: unknown;
}

/** A run's item in Inngest's queue, as `GET /v1/runs/{id}/jobs` returns it (G:pkg/execution/queue/queue.go:255-268). */
export interface ApiRunJob {
  /** When the item is due: a later time while the run waits for a retry. */
  at: string;
  kind: string;
  /** 0-based attempt the item's next call makes. */
  attempt: number;
}

export interface InngestRestClientOptions {
  /** Base of the API, e.g. `https://api.inngest.com/` (the SDK client's `apiBaseUrl`). */
  baseUrl: string;
  /** Sent hashed as the bearer; none in dev mode without a key. */
  signingKey?: string;
  fetch?: typeof fetch;
}

/**
 * The few calls of Inngest's REST API the adapter makes (https://api-docs.inngest.com): v1 for
 * events, v2 (beta) for runs. Runs are never read through v1: the server caches its `GET /v1`
 * answers for the time each route allows (`/v1/events/{id}/runs` 15 s, `/v1/runs/{id}` 3 s;
 * G:pkg/api/apiv1/events.go:192, runs.go:48, cache.go:40-150), so a state read there can be that
 * old, and an empty list of runs read right after a send stays empty that long. REST v2 has no
 * cache (only v1 mounts it, G:pkg/api/apiv1/apiv1.go:182-184). An event never changes, so reading
 * it through v1 (5 s cache) is safe; `GET /v1/events` (the list) is not cached (events.go:96).
 */
export class InngestRestClient {
  readonly #baseUrl: string;
  readonly #authorization?: string;
  readonly #fetch: typeof fetch;
  /** Reads of a run's queue so far: part of each one's `fresh` parameter (see runJobs). */
  #reads = 0;

  constructor(options: InngestRestClientOptions) {
    this.#baseUrl = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
    this.#authorization = options.signingKey ? `Bearer ${signingKeyBearer(options.signingKey)}` : undefined;
    this.#fetch = options.fetch ?? fetch;
  }

  /** `GET /v1/events/{internalId}`; undefined when Inngest does not know it. */
  async event(internalId: string): Promise<ApiEvent | undefined> {
    const answer = await this.#call("GET", `v1/events/${encodeURIComponent(internalId)}`, [404]);
    return answer === undefined ? undefined : ((answer as { data: ApiEvent }).data ?? undefined);
  }

  /** `GET /v1/events`: one page of events named `name`, newest first, older than `cursor` (an internal id). */
  async events(query: {
    name: string;
    receivedAfter: Date;
    cursor?: string;
    limit: number;
  }): Promise<ApiEvent[]> {
    const params = new URLSearchParams({
      name: query.name,
      received_after: query.receivedAfter.toISOString(),
      limit: String(query.limit),
    });
    if (query.cursor) params.set("cursor", query.cursor);
    const answer = (await this.#call("GET", `v1/events?${params}`)) as { data?: ApiEvent[] };
    return answer.data ?? [];
  }

  /**
   * `GET /v2/events/{internalId}/runs` (beta): the runs the event started, reruns included, newest
   * first, with their outputs (at most 40; a job's event has one run per retry(id)).
   */
  async eventRuns(internalId: string): Promise<ApiRun[]> {
    const path = `v2/events/${encodeURIComponent(internalId)}/runs?include_output=true&limit=40`;
    const answer = (await this.#call("GET", path)) as { data?: ApiRun[] | null };
    return answer.data ?? [];
  }

  /**
   * `POST /v2/runs/{runId}/cancel` (beta): true when it cancelled the run; false when the run had
   * ended (409) or is unknown (404) (G:pkg/api/v2/endpoints_runs.go:312-345).
   */
  async cancelRun(runId: string): Promise<boolean> {
    const path = `v2/runs/${encodeURIComponent(runId)}/cancel`;
    return (await this.#call("POST", path, [404, 409], {})) !== undefined;
  }

  /**
   * `GET /v1/runs/{runId}/jobs`: the run's items in Inngest's queue (G:pkg/api/apiv1/runs.go:93-141).
   * The server caches this answer for 5 s (runs.go:140) by URL and Authorization (cache.go:116-133):
   * read while a run is active, then asleep in a step, a cached answer would hide the sleep for that
   * long (or all of a short one). Each read adds its own `fresh` query parameter, which the route
   * ignores (it reads the run id alone), so that it is never answered from the cache.
   */
  async runJobs(runId: string): Promise<ApiRunJob[]> {
    const fresh = `${Date.now().toString(36)}-${(this.#reads++).toString(36)}`;
    const path = `v1/runs/${encodeURIComponent(runId)}/jobs?fresh=${fresh}`;
    const answer = (await this.#call("GET", path)) as { data?: ApiRunJob[] | null };
    return answer.data ?? [];
  }

  /** `POST /v2/runs/{runId}/rerun` (beta): a new run for the same event; returns its id. */
  async rerun(runId: string): Promise<string> {
    const answer = (await this.#call("POST", `v2/runs/${encodeURIComponent(runId)}/rerun`, [], {})) as {
      data: { runId: string };
    };
    return answer.data.runId;
  }

  /** `GET /v2/runs` (beta): one page of the app's runs, newest first. */
  async runs(query: {
    status: string;
    appId: string;
    functionId?: string;
    limit: number;
    cursor?: string;
    includeOutput: boolean;
  }): Promise<{ runs: ApiRun[]; cursor?: string }> {
    const params = new URLSearchParams({
      status: query.status,
      app_id: query.appId,
      limit: String(query.limit),
    });
    if (query.functionId) params.set("function_id", query.functionId);
    if (query.cursor) params.set("cursor", query.cursor);
    if (query.includeOutput) params.set("include_output", "true");
    const answer = (await this.#call("GET", `v2/runs?${params}`)) as {
      data?: ApiRun[];
      page?: { cursor?: string; hasMore?: boolean };
    };
    return { runs: answer.data ?? [], cursor: answer.page?.hasMore ? answer.page.cursor : undefined };
  }

  /**
   * One call; an answer in `absent` resolves to undefined. A failure is core's
   * BackendUnavailableError (network, 5xx), a ConfigError (401/403) or an InngestApiError.
   */
  async #call(method: string, path: string, absent: number[] = [], body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#authorization) headers.authorization = this.#authorization;
    if (body !== undefined) headers["content-type"] = "application/json";
    const call = `${method} /${path.split("?")[0]}`;
    const writes = method !== "GET";
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(new URL(path, this.#baseUrl), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      text = await response.text();
    } catch (error) {
      if (fetchFailure(error) !== undefined) throw restFailure(call, { error, writes }, this.#baseUrl);
      throw new InngestApiError(`Inngest API ${call} could not be called: ${String(error)}`, undefined, {
        cause: error,
      });
    }
    if (absent.includes(response.status)) return undefined;
    if (!response.ok) throw restFailure(call, { status: response.status, body: text, writes }, this.#baseUrl);
    if (text === "") return {};
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new InngestApiError(`Inngest API ${call} answered non-JSON`, response.status, {
        cause: error,
      });
    }
  }
}
