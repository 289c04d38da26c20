// The tables, functions and triggers the adapter adds to graphile-worker's schema. Every object is
// prefixed `switchyard_`; graphile-worker's own objects are never altered, only observed by triggers.
import type { PoolClient } from "pg";
import { RECOVERED_FLAG } from "./started-jobs.js";
import { stepSchemaSql } from "./step-schema.js";

/**
 * Bumped whenever `adapterSchemaSql` changes; stored in `switchyard_meta`. The SQL is idempotent (it brings
 * any older version to this one), so a bump needs no per-version step; two branches must never ship the
 * same number with different SQL (5 follows two different 4s). When code starts to rely on what a bump
 * adds, raise REQUIRED_SCHEMA_VERSION to it too.
 */
export const ADAPTER_SCHEMA_VERSION = 7;

/**
 * The oldest installed version this code runs against (with `migrate: false` an older one is refused):
 * 6, whose stalled-job recovery marks the jobs it gives an attempt back (started-jobs.ts). Version 7 only
 * made the completion trigger cheaper.
 */
export const REQUIRED_SCHEMA_VERSION = 6;

/** Quotes a PostgreSQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The error a cancelled job's snapshot carries (core's JobCancelledError), for the job id in `idSql`. */
function cancelledError(idSql: string): string {
  return `json_build_object('message', 'job ' || ${idSql} || ' was cancelled', 'code', 'SWITCHYARD_JOB_CANCELLED')`;
}

/**
 * The adapter's schema objects, in graphile-worker's schema (`schemaSql`, quoted):
 * - `switchyard_job_state`: per job, what graphile-worker does not keep: the outcome an attempt decided
 *   (applied by a trigger when graphile-worker releases the job), the last error with its code, progress,
 *   a cancellation request, the result, the maxAttempts of a permanently failed job. Written only when
 *   there is something to keep (not for a job that simply succeeds).
 * - `switchyard_finished`: one narrow row per completed or cancelled job, written by a trigger when
 *   graphile-worker deletes it, so that `get(id)` still finds it. Append-only.
 * - `switchyard_idempotency`: idempotency keys with their expiry, claimed in the enqueue's transaction.
 * - `switchyard_schedules`: schedules (cron in any time zone, seconds, fixed intervals), fired by workers;
 *   `declared` when they come from defineJob.
 * - `switchyard_concurrency`: the concurrency limit of each job as the workers define it, which decides
 *   the lanes (graphile-worker named queues) its jobs go to, whoever enqueues them (concurrency-lanes.ts).
 * - `switchyard_workers`: a heartbeat per running worker pool, for stalled-job recovery.
 * - durable steps: `switchyard_steps` and its triggers (step-schema.ts).
 */
export function adapterSchemaSql(schema: string): string {
  const schemaSql = quoteIdentifier(schema);
  // The first key of the advisory locks that order lane changes against enqueues (one per schema).
  const lanesLockKey = `hashtext('switchyard_lanes:' || ${quoteLiteral(schema)})`;
  // The completion trigger's records of the locked jobs a statement deleted (see switchyard_tg_jobs_deleted).
  const insertFinished = `insert into ${schemaSql}.switchyard_finished (job_id, task_id, attempts, max_attempts, created_at, finished_at)
  select d.id, d.task_id, d.attempts, d.max_attempts, d.created_at, now()
    from switchyard_deleted_jobs d
   where d.locked_at is not null`;
  return `
create table if not exists ${schemaSql}.switchyard_meta (
  key text primary key,
  value text not null
);

create table if not exists ${schemaSql}.switchyard_job_state (
  job_id bigint primary key,
  result json,
  error json,
  progress json,
  original_max_attempts smallint,
  cancel_requested boolean not null default false,
  outcome text check (outcome in ('retry', 'failed', 'permanent', 'released', 'cancelled', 'suspended')),
  outcome_run_at timestamptz
);

create table if not exists ${schemaSql}.switchyard_finished (
  job_id bigint primary key,
  task_id int not null,
  attempts smallint not null,
  max_attempts smallint not null,
  created_at timestamptz not null,
  finished_at timestamptz not null,
  cancelled boolean not null default false
);
-- BRIN: rows are appended in finishing order, and a BRIN index costs next to nothing to maintain.
create index if not exists switchyard_finished_finished_at
  on ${schemaSql}.switchyard_finished using brin (finished_at);
-- counts() and list() of finished jobs select by task (and page by job id, newest first).
create index if not exists switchyard_finished_task_id
  on ${schemaSql}.switchyard_finished (task_id, job_id);

create table if not exists ${schemaSql}.switchyard_idempotency (
  job_name text not null,
  key text not null,
  job_id bigint,
  expires_at timestamptz not null,
  primary key (job_name, key)
);
create index if not exists switchyard_idempotency_expires_at on ${schemaSql}.switchyard_idempotency (expires_at);

create table if not exists ${schemaSql}.switchyard_schedules (
  id text primary key,
  job text not null,
  cron text,
  timezone text,
  every_ms bigint,
  payload json not null,
  next_run_at timestamptz not null,
  updated_at timestamptz not null default now()
);
create index if not exists switchyard_schedules_next_run_at on ${schemaSql}.switchyard_schedules (next_run_at);
alter table ${schemaSql}.switchyard_schedules add column if not exists declared boolean not null default false;

create table if not exists ${schemaSql}.switchyard_concurrency (
  job_name text primary key,
  concurrency int check (concurrency > 0),
  updated_at timestamptz not null default now()
);

create table if not exists ${schemaSql}.switchyard_workers (
  pool_id text primary key,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now()
);
-- The jobs a pool with a local queue has started (recorded before their handlers run, started-jobs.ts):
-- its other locked jobs were fetched ahead and never ran. Null: the pool fetches only what it runs.
alter table ${schemaSql}.switchyard_workers add column if not exists started bigint[];

-- graphile-worker deletes a job when it completes (only then does it delete a locked job): append its
-- record. Whether it ended cancelled, and its result, are read from switchyard_job_state. One statement-level
-- trigger over the statement's deleted rows: batched completion deletes many jobs in one statement, and a
-- set-based insert costs far less per job than a row trigger's call each.
-- A batch is appended with a plain insert (version 7): job ids come from graphile-worker's sequence and a
-- job is deleted once, so its record never exists already, and "on conflict do nothing" (speculative
-- insertion, one more WAL record a row) cost 1 to 3 us of database time per job, a fifth to a third of the
-- record (adapter-postgres README, Benchmark). Should the sequence have been reset by hand, the batch is
-- inserted again without the ids already recorded, rather than failing the completion. That fallback needs
-- a subtransaction (and a transaction id) per statement: worth it for a batch, not for the one row a
-- statement of graphile-worker's job-by-job completion deletes, which keeps the upsert.
create or replace function ${schemaSql}.switchyard_tg_jobs_deleted() returns trigger
language plpgsql as $$
begin
  if exists (select 1 from switchyard_deleted_jobs offset 1) then
    begin
      ${insertFinished};
      return null;
    exception when unique_violation then
      null; -- recorded below, without the ids already there
    end;
  end if;
  ${insertFinished}
  on conflict (job_id) do nothing;
  return null;
end;
$$;
drop trigger if exists _500_switchyard_job_deleted on ${schemaSql}._private_jobs;
drop function if exists ${schemaSql}.switchyard_tg_job_deleted();
drop trigger if exists _500_switchyard_jobs_deleted on ${schemaSql}._private_jobs;
create trigger _500_switchyard_jobs_deleted
  after delete on ${schemaSql}._private_jobs
  referencing old table as switchyard_deleted_jobs
  for each statement
  execute function ${schemaSql}.switchyard_tg_jobs_deleted();

-- graphile-worker releases a failed job with its own fixed backoff (exp(attempts) seconds). When the
-- attempt decided an outcome first, apply it in the same statement: the policy's delay, a permanent
-- failure, or a run at once (the worker stopped mid-attempt). On "update of last_error": graphile-worker
-- sets it when it releases a failed job, and never when it locks one, so fetching pays nothing for this.
create or replace function ${schemaSql}.switchyard_tg_job_released() returns trigger
language plpgsql as $$
declare
  v_outcome text;
  v_run_at timestamptz;
begin
  select s.outcome, s.outcome_run_at into v_outcome, v_run_at
    from ${schemaSql}.switchyard_job_state s
    where s.job_id = new.id and s.outcome is not null
    for update;
  if not found then
    return new;
  end if;
  if v_outcome = 'retry' then
    new.run_at := v_run_at;
  elsif v_outcome = 'released' then
    new.run_at := now();
  elsif v_outcome = 'permanent' then
    new.max_attempts := greatest(new.attempts, 1);
  elsif v_outcome = 'suspended' then
    -- A step suspended the job (suspend-job.ts): not an attempt, so the one graphile-worker counted when
    -- it locked the job is given back, and the last error stays what it was.
    new.run_at := v_run_at;
    new.attempts := greatest(new.attempts - 1, 0);
    new.last_error := old.last_error;
  end if;
  update ${schemaSql}.switchyard_job_state s
     set outcome = null, outcome_run_at = null,
         original_max_attempts = case when v_outcome = 'permanent' then old.max_attempts
                                      else s.original_max_attempts end
   where s.job_id = new.id;
  return new;
end;
$$;
drop trigger if exists _500_switchyard_job_released on ${schemaSql}._private_jobs;
create trigger _500_switchyard_job_released
  before update of last_error on ${schemaSql}._private_jobs
  for each row when (old.locked_at is not null and new.locked_at is null)
  execute function ${schemaSql}.switchyard_tg_job_released();

-- Enqueue with an idempotency key: claim the key (or find its live holder) and add the job, atomically.
-- p_flags (the trace flag, trace-flag.ts) came with schema version 4; the older overload without it is
-- left in place for processes of the previous version still running during a deploy.
create or replace function ${schemaSql}.switchyard_add_job_once(
  p_job_name text,
  p_payload json,
  p_queue_name text,
  p_run_at timestamptz,
  p_max_attempts int,
  p_priority int,
  p_key text,
  p_ttl_ms bigint,
  p_notify text,
  p_flags text[],
  out job_id bigint,
  out deduplicated boolean
)
language plpgsql as $$
begin
  insert into ${schemaSql}.switchyard_idempotency as i (job_name, key, job_id, expires_at)
  values (p_job_name, p_key, null, now() + p_ttl_ms * interval '1 millisecond')
  on conflict on constraint switchyard_idempotency_pkey do update
    set job_id = null, expires_at = excluded.expires_at
    where i.expires_at <= now();
  if not found then
    select i.job_id into job_id from ${schemaSql}.switchyard_idempotency i
      where i.job_name = p_job_name and i.key = p_key;
    deduplicated := true;
    return;
  end if;
  select j.id into job_id from ${schemaSql}.add_job(
    identifier => p_job_name,
    payload => p_payload,
    queue_name => p_queue_name,
    run_at => p_run_at,
    max_attempts => p_max_attempts,
    priority => p_priority,
    flags => p_flags
  ) j;
  update ${schemaSql}.switchyard_idempotency i set job_id = switchyard_add_job_once.job_id
    where i.job_name = p_job_name and i.key = p_key;
  if p_notify is not null then
    perform pg_notify('switchyard', p_notify);
  end if;
  deduplicated := false;
end;
$$;

-- The job name of a task id, for the rows add_jobs returns. Volatile: it reads the tasks as they are when it
-- runs, so it sees a task that add_jobs inserted earlier in the calling statement (a subquery would not).
create or replace function ${schemaSql}.switchyard_task_identifier(p_task_id int) returns text
language sql volatile as $$
  select t.identifier from ${schemaSql}._private_tasks t where t.id = p_task_id
$$;

-- The named queue (lane) of a job being added: <base>#<turn mod limit>, with the limit the workers stored
-- for the job, else the enqueuer's own (p_fallback); none without a limit. The shared advisory lock, held
-- until the enqueue commits, lets switchyard_set_concurrency wait for enqueues that read the old limit.
create or replace function ${schemaSql}.switchyard_queue_name(
  p_job text, p_base text, p_turn bigint, p_fallback int
) returns text
language plpgsql volatile as $$
declare
  v_limit int;
begin
  perform pg_advisory_xact_lock_shared(${lanesLockKey}, hashtext(p_job));
  select c.concurrency into v_limit from ${schemaSql}.switchyard_concurrency c where c.job_name = p_job;
  if not found then
    v_limit := p_fallback;
  end if;
  if v_limit is null then
    return null;
  end if;
  return p_base || '#' || (p_turn % v_limit)::text;
end;
$$;

-- The same for a batch: the limit of each of p_jobs (stored: whether a worker stored one), read once.
create or replace function ${schemaSql}.switchyard_lane_limits(p_jobs text[])
returns table (job_name text, stored boolean, concurrency int)
language plpgsql volatile as $$
begin
  perform pg_advisory_xact_lock_shared(${lanesLockKey}, hashtext(n.name)) from unnest(p_jobs) as n(name);
  return query
    select n.name, c.job_name is not null, c.concurrency
      from unnest(p_jobs) as n(name)
      left join ${schemaSql}.switchyard_concurrency c on c.job_name = n.name;
end;
$$;

-- A worker stores the limit its definition gives a job (null: none). When it changes, the job's waiting
-- jobs are spread again, per lane base (job, or job:concurrencyKey), over the new limit's lanes (or taken
-- out of lanes), in the order they would run; running jobs finish where they are.
create or replace function ${schemaSql}.switchyard_set_concurrency(
  p_job text, p_limit int, out changed boolean, out previous int, out stored boolean
)
language plpgsql as $$
begin
  select c.concurrency, true into previous, stored
    from ${schemaSql}.switchyard_concurrency c where c.job_name = p_job;
  stored := coalesce(stored, false);
  if stored and previous is not distinct from p_limit then
    changed := false;
    return;
  end if;
  changed := true;
  -- Waits for enqueues that read the old limit; later ones wait for this transaction and read the new one.
  perform pg_advisory_xact_lock(${lanesLockKey}, hashtext(p_job));
  insert into ${schemaSql}.switchyard_concurrency as c (job_name, concurrency) values (p_job, p_limit)
  on conflict (job_name) do update set concurrency = excluded.concurrency, updated_at = now();
  if p_limit is null then
    update ${schemaSql}._private_jobs j set job_queue_id = null
      from ${schemaSql}._private_tasks t, ${schemaSql}._private_job_queues q
     where t.id = j.task_id and t.identifier = p_job and q.id = j.job_queue_id
       and q.queue_name ~ '#[0-9]+$' and j.locked_at is null;
    return;
  end if;
  with relaned as (
    select w.id, w.base || '#' || ((row_number() over (partition by w.base
                                     order by w.priority, w.run_at, w.id) - 1) % p_limit)::text as queue_name
      from (
        select j.id, j.priority, j.run_at, coalesce(regexp_replace(q.queue_name, '#[0-9]+$', ''), p_job) as base
          from ${schemaSql}._private_jobs j
          join ${schemaSql}._private_tasks t on t.id = j.task_id
          left join ${schemaSql}._private_job_queues q on q.id = j.job_queue_id
         where t.identifier = p_job and j.locked_at is null
           and (j.job_queue_id is null or q.queue_name ~ '#[0-9]+$')
      ) w
  ), created as (
    insert into ${schemaSql}._private_job_queues (queue_name)
      select distinct r.queue_name from relaned r
    on conflict (queue_name) do nothing
    returning id, queue_name
  ), lanes as (
    select c.id, c.queue_name from created c
    union all
    select q.id, q.queue_name from ${schemaSql}._private_job_queues q
     where q.queue_name in (select r.queue_name from relaned r)
  )
  update ${schemaSql}._private_jobs j set job_queue_id = l.id
    from relaned r, lanes l
   where j.id = r.id and l.queue_name = r.queue_name and j.locked_at is null
     and j.job_queue_id is distinct from l.id;
end;
$$;

-- Cancels a job: a waiting or delayed job is removed at once (and recorded as cancelled); a running job
-- is flagged and its worker told, so the attempt aborts. False when the job is finished or unknown.
create or replace function ${schemaSql}.switchyard_cancel(p_job_id bigint, p_notify text) returns boolean
language plpgsql as $$
declare
  v_job ${schemaSql}._private_jobs;
begin
  delete from ${schemaSql}._private_jobs j
    where j.id = p_job_id and j.locked_at is null and j.attempts < j.max_attempts
    returning * into v_job;
  if found then
    insert into ${schemaSql}.switchyard_finished
      (job_id, task_id, attempts, max_attempts, created_at, finished_at, cancelled)
    values (v_job.id, v_job.task_id, v_job.attempts, v_job.max_attempts, v_job.created_at, now(), true)
    on conflict (job_id) do update set cancelled = true;
    -- The snapshot names the cancellation, never an earlier attempt's failure.
    insert into ${schemaSql}.switchyard_job_state as s (job_id, error)
    values (v_job.id, ${cancelledError("v_job.id")})
    on conflict (job_id) do update set error = excluded.error, outcome = null, outcome_run_at = null;
    return true;
  end if;
  if exists (select 1 from ${schemaSql}._private_jobs j where j.id = p_job_id and j.locked_at is not null) then
    insert into ${schemaSql}.switchyard_job_state as s (job_id, cancel_requested) values (p_job_id, true)
    on conflict (job_id) do update set cancel_requested = true;
    perform pg_notify('switchyard', p_notify);
    return true;
  end if;
  return false;
end;
$$;

-- Stalled-job recovery: the jobs locked by a worker pool that registered a heartbeat and then stopped
-- beating for p_stalled_after (its process died) run again at once; a job that used its last attempt
-- fails with SWITCHYARD_STALLED; a job whose cancellation was requested ends cancelled. A pool with a
-- local queue records the jobs it starts (column started, started-jobs.ts): its other locked jobs were
-- fetched ahead and never ran, and get back the attempt graphile-worker counted when it locked them, as
-- graphile-worker's own return of a local queue does; a recorded job's attempt counts. Pools that never
-- registered (plain graphile-worker workers sharing the
-- schema) are left to graphile-worker's own 4-hour lock expiry.
create or replace function ${schemaSql}.switchyard_recover_stalled(p_stalled_after interval) returns int
language plpgsql as $$
declare
  v_pools text[];
  v_queued text[];
  v_started bigint[];
  v_count int;
begin
  with dead as (
    delete from ${schemaSql}.switchyard_workers w where w.heartbeat_at <= now() - p_stalled_after
    returning w.pool_id, w.started
  )
  select (select array_agg(d.pool_id) from dead d),
         (select array_agg(d.pool_id) from dead d where d.started is not null),
         (select coalesce(array_agg(s.id), '{}') from dead d, unnest(d.started) as s(id))
    into v_pools, v_queued, v_started;
  if v_pools is null then
    return 0;
  end if;
  if v_queued is not null then
    -- Marked: such a job (or one whose process died before its start record landed, started-jobs.ts)
    -- waits for its start record from now on, so a job that kills its process gets one attempt back at most.
    update ${schemaSql}._private_jobs j
      set attempts = greatest(j.attempts - 1, 0),
          flags = coalesce(j.flags, '{}'::jsonb) || jsonb_build_object('${RECOVERED_FLAG}', true)
      where j.locked_by = any(v_queued) and j.id <> all(v_started);
  end if;
  update ${schemaSql}.switchyard_job_state s
    set outcome = 'cancelled', error = ${cancelledError("s.job_id")}
    from ${schemaSql}._private_jobs j
    where s.job_id = j.id and j.locked_by = any(v_pools) and s.cancel_requested;
  delete from ${schemaSql}._private_jobs j
    using ${schemaSql}.switchyard_job_state s
    where s.job_id = j.id and j.locked_by = any(v_pools) and s.outcome = 'cancelled';
  insert into ${schemaSql}.switchyard_job_state as s (job_id, error)
    select j.id, json_build_object('message', 'the worker stopped during the last attempt',
                                   'code', 'SWITCHYARD_STALLED')
    from ${schemaSql}._private_jobs j
    where j.locked_by = any(v_pools) and j.attempts >= j.max_attempts
  on conflict (job_id) do update set error = excluded.error;
  update ${schemaSql}._private_jobs j set last_error = 'the worker stopped during the last attempt'
    where j.locked_by = any(v_pools) and j.attempts >= j.max_attempts;
  select count(*) into v_count from ${schemaSql}._private_jobs j where j.locked_by = any(v_pools);
  -- Outcomes the dead workers recorded but graphile-worker never applied (the release trigger fires on
  -- last_error), then everything else they held, and their named queues.
  update ${schemaSql}._private_jobs j set locked_at = null, locked_by = null, last_error = j.last_error
    from ${schemaSql}.switchyard_job_state s
    where s.job_id = j.id and s.outcome is not null and j.locked_by = any(v_pools);
  perform ${schemaSql}.force_unlock_workers(v_pools);
  if v_count > 0 then
    perform pg_notify('jobs:insert', json_build_object('r', random(), 'count', v_count)::text);
  end if;
  return v_count;
end;
$$;
${stepSchemaSql(schemaSql)}`;
}

/**
 * The adapter schema version installed in `schema` (0 when its meta table has no version); rejects with
 * PostgreSQL's undefined-table error when the adapter's objects are not installed at all.
 */
export async function installedAdapterVersion(
  db: Pick<PoolClient, "query">,
  schema: string,
): Promise<number> {
  const { rows } = await db.query<{ value: string }>(
    `select value from ${quoteIdentifier(schema)}.switchyard_meta where key = 'schema_version'`,
  );
  return rows[0] === undefined ? 0 : Number(rows[0].value);
}

/** What `migrateAdapterSchema` found: `installed` is the version present before (undefined: none). */
export type AdapterSchemaMigration =
  | { action: "installed" | "upgraded" | "current"; installed: number | undefined }
  | { action: "newer"; installed: number };

/**
 * Installs or upgrades the adapter's objects in `schema` (graphile-worker's schema must exist), under an
 * advisory lock so that concurrent processes do it once. Only an older (or absent) version is migrated: a
 * newer one, installed by a newer process of a rolling deploy, is left as it is ("newer"; the caller
 * warns), since rerunning this older SQL would put back objects the newer version replaced.
 */
export async function migrateAdapterSchema(
  client: PoolClient,
  schema: string,
): Promise<AdapterSchemaMigration> {
  const schemaSql = quoteIdentifier(schema);
  await client.query("begin");
  try {
    await client.query("select pg_advisory_xact_lock(hashtext($1))", [`switchyard:${schema}`]);
    const { rows: exists } = await client.query<{ present: boolean }>(
      "select to_regclass($1) is not null as present",
      [`${schemaSql}.switchyard_meta`],
    );
    const version = exists[0]?.present ? await installedAdapterVersion(client, schema) : 0;
    const installed = version === 0 ? undefined : version;
    let migration: AdapterSchemaMigration;
    if (installed !== undefined && installed >= ADAPTER_SCHEMA_VERSION) {
      migration =
        installed === ADAPTER_SCHEMA_VERSION
          ? { action: "current", installed }
          : { action: "newer", installed };
    } else {
      await client.query(adapterSchemaSql(schema));
      await client.query(
        `insert into ${schemaSql}.switchyard_meta (key, value) values ('schema_version', $1)
         on conflict (key) do update set value = excluded.value`,
        [String(ADAPTER_SCHEMA_VERSION)],
      );
      migration = { action: installed === undefined ? "installed" : "upgraded", installed };
    }
    await client.query("commit");
    return migration;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  }
}
