// The tables, functions and triggers the adapter adds to graphile-worker's schema. Every object is
// prefixed `switchyard_`; graphile-worker's own objects are never altered, only observed by triggers.
import type { PoolClient } from "pg";
import { stepSchemaSql } from "./step-schema.js";

/** Bumped whenever `adapterSchemaSql` changes; stored in `switchyard_meta`. */
export const ADAPTER_SCHEMA_VERSION = 2;

/** Quotes a PostgreSQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The adapter's schema objects, in graphile-worker's schema `S`:
 * - `switchyard_job_state`: per job, what graphile-worker does not keep: the outcome an attempt decided
 *   (applied by a trigger when graphile-worker releases the job), the last error with its code, progress,
 *   a cancellation request, the result, the maxAttempts of a permanently failed job. Written only when
 *   there is something to keep (not for a job that simply succeeds).
 * - `switchyard_finished`: one narrow row per completed or cancelled job, written by a trigger when
 *   graphile-worker deletes it, so that `get(id)` still finds it. Append-only.
 * - `switchyard_idempotency`: idempotency keys with their expiry, claimed in the enqueue's transaction.
 * - `switchyard_schedules`: schedules (cron in any time zone, seconds, fixed intervals), fired by workers.
 * - `switchyard_workers`: a heartbeat per running worker pool, for stalled-job recovery.
 * - durable steps: `switchyard_steps` and its triggers (step-schema.ts).
 */
export function adapterSchemaSql(schema: string): string {
  const S = quoteIdentifier(schema);
  return `
create table if not exists ${S}.switchyard_meta (
  key text primary key,
  value text not null
);

create table if not exists ${S}.switchyard_job_state (
  job_id bigint primary key,
  result json,
  error json,
  progress json,
  original_max_attempts smallint,
  cancel_requested boolean not null default false,
  outcome text check (outcome in ('retry', 'failed', 'permanent', 'released', 'cancelled', 'suspended')),
  outcome_run_at timestamptz
);

create table if not exists ${S}.switchyard_finished (
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
  on ${S}.switchyard_finished using brin (finished_at);

create table if not exists ${S}.switchyard_idempotency (
  job_name text not null,
  key text not null,
  job_id bigint,
  expires_at timestamptz not null,
  primary key (job_name, key)
);
create index if not exists switchyard_idempotency_expires_at on ${S}.switchyard_idempotency (expires_at);

create table if not exists ${S}.switchyard_schedules (
  id text primary key,
  job text not null,
  cron text,
  timezone text,
  every_ms bigint,
  payload json not null,
  next_run_at timestamptz not null,
  updated_at timestamptz not null default now()
);
create index if not exists switchyard_schedules_next_run_at on ${S}.switchyard_schedules (next_run_at);

create table if not exists ${S}.switchyard_workers (
  pool_id text primary key,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now()
);

-- graphile-worker deletes a job when it completes (only then does it delete a locked job): append its
-- record. Whether it ended cancelled, and its result, are read from switchyard_job_state.
create or replace function ${S}.switchyard_tg_job_deleted() returns trigger
language plpgsql as $$
begin
  insert into ${S}.switchyard_finished (job_id, task_id, attempts, max_attempts, created_at, finished_at)
  values (old.id, old.task_id, old.attempts, old.max_attempts, old.created_at, now())
  on conflict (job_id) do nothing;
  return null;
end;
$$;
drop trigger if exists _500_switchyard_job_deleted on ${S}._private_jobs;
create trigger _500_switchyard_job_deleted
  after delete on ${S}._private_jobs
  for each row when (old.locked_at is not null)
  execute function ${S}.switchyard_tg_job_deleted();

-- graphile-worker releases a failed job with its own fixed backoff (exp(attempts) seconds). When the
-- attempt decided an outcome first, apply it in the same statement: the policy's delay, a permanent
-- failure, or a run at once (the worker stopped mid-attempt). On "update of last_error": graphile-worker
-- sets it when it releases a failed job, and never when it locks one, so fetching pays nothing for this.
create or replace function ${S}.switchyard_tg_job_released() returns trigger
language plpgsql as $$
declare
  v_outcome text;
  v_run_at timestamptz;
begin
  select s.outcome, s.outcome_run_at into v_outcome, v_run_at
    from ${S}.switchyard_job_state s
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
  update ${S}.switchyard_job_state s
     set outcome = null, outcome_run_at = null,
         original_max_attempts = case when v_outcome = 'permanent' then old.max_attempts
                                      else s.original_max_attempts end
   where s.job_id = new.id;
  return new;
end;
$$;
drop trigger if exists _500_switchyard_job_released on ${S}._private_jobs;
create trigger _500_switchyard_job_released
  before update of last_error on ${S}._private_jobs
  for each row when (old.locked_at is not null and new.locked_at is null)
  execute function ${S}.switchyard_tg_job_released();

-- Enqueue with an idempotency key: claim the key (or find its live holder) and add the job, atomically.
create or replace function ${S}.switchyard_add_job_once(
  p_job_name text,
  p_payload json,
  p_queue_name text,
  p_run_at timestamptz,
  p_max_attempts int,
  p_priority int,
  p_key text,
  p_ttl_ms bigint,
  p_notify text,
  out job_id bigint,
  out deduplicated boolean
)
language plpgsql as $$
begin
  insert into ${S}.switchyard_idempotency as i (job_name, key, job_id, expires_at)
  values (p_job_name, p_key, null, now() + p_ttl_ms * interval '1 millisecond')
  on conflict on constraint switchyard_idempotency_pkey do update
    set job_id = null, expires_at = excluded.expires_at
    where i.expires_at <= now();
  if not found then
    select i.job_id into job_id from ${S}.switchyard_idempotency i
      where i.job_name = p_job_name and i.key = p_key;
    deduplicated := true;
    return;
  end if;
  select j.id into job_id from ${S}.add_job(
    identifier => p_job_name,
    payload => p_payload,
    queue_name => p_queue_name,
    run_at => p_run_at,
    max_attempts => p_max_attempts,
    priority => p_priority
  ) j;
  update ${S}.switchyard_idempotency i set job_id = switchyard_add_job_once.job_id
    where i.job_name = p_job_name and i.key = p_key;
  if p_notify is not null then
    perform pg_notify('switchyard', p_notify);
  end if;
  deduplicated := false;
end;
$$;

-- Cancels a job: a waiting or delayed job is removed at once (and recorded as cancelled); a running job
-- is flagged and its worker told, so the attempt aborts. False when the job is finished or unknown.
create or replace function ${S}.switchyard_cancel(p_job_id bigint, p_notify text) returns boolean
language plpgsql as $$
declare
  v_job ${S}._private_jobs;
begin
  delete from ${S}._private_jobs j
    where j.id = p_job_id and j.locked_at is null and j.attempts < j.max_attempts
    returning * into v_job;
  if found then
    insert into ${S}.switchyard_finished
      (job_id, task_id, attempts, max_attempts, created_at, finished_at, cancelled)
    values (v_job.id, v_job.task_id, v_job.attempts, v_job.max_attempts, v_job.created_at, now(), true)
    on conflict (job_id) do update set cancelled = true;
    return true;
  end if;
  if exists (select 1 from ${S}._private_jobs j where j.id = p_job_id and j.locked_at is not null) then
    insert into ${S}.switchyard_job_state as s (job_id, cancel_requested) values (p_job_id, true)
    on conflict (job_id) do update set cancel_requested = true;
    perform pg_notify('switchyard', p_notify);
    return true;
  end if;
  return false;
end;
$$;

-- Stalled-job recovery: the jobs locked by a worker pool that registered a heartbeat and then stopped
-- beating for p_stalled_after (its process died) run again at once; a job that used its last attempt
-- fails with SWITCHYARD_STALLED; a job whose cancellation was requested ends cancelled. Pools that never
-- registered (plain graphile-worker workers sharing the schema) are left to graphile-worker's own
-- 4-hour lock expiry.
create or replace function ${S}.switchyard_recover_stalled(p_stalled_after interval) returns int
language plpgsql as $$
declare
  v_pools text[];
  v_count int;
begin
  with dead as (
    delete from ${S}.switchyard_workers w where w.heartbeat_at <= now() - p_stalled_after
    returning w.pool_id
  )
  select array_agg(pool_id) into v_pools from dead;
  if v_pools is null then
    return 0;
  end if;
  update ${S}.switchyard_job_state s
    set outcome = 'cancelled',
        error = coalesce(s.error, json_build_object('message', 'the job was cancelled',
                                                    'code', 'SWITCHYARD_JOB_CANCELLED'))
    from ${S}._private_jobs j
    where s.job_id = j.id and j.locked_by = any(v_pools) and s.cancel_requested;
  delete from ${S}._private_jobs j
    using ${S}.switchyard_job_state s
    where s.job_id = j.id and j.locked_by = any(v_pools) and s.outcome = 'cancelled';
  insert into ${S}.switchyard_job_state as s (job_id, error)
    select j.id, json_build_object('message', 'the worker stopped during the last attempt',
                                   'code', 'SWITCHYARD_STALLED')
    from ${S}._private_jobs j
    where j.locked_by = any(v_pools) and j.attempts >= j.max_attempts
  on conflict (job_id) do update set error = excluded.error;
  update ${S}._private_jobs j set last_error = 'the worker stopped during the last attempt'
    where j.locked_by = any(v_pools) and j.attempts >= j.max_attempts;
  select count(*) into v_count from ${S}._private_jobs j where j.locked_by = any(v_pools);
  -- Outcomes the dead workers recorded but graphile-worker never applied (the release trigger fires on
  -- last_error), then everything else they held, and their named queues.
  update ${S}._private_jobs j set locked_at = null, locked_by = null, last_error = j.last_error
    from ${S}.switchyard_job_state s
    where s.job_id = j.id and s.outcome is not null and j.locked_by = any(v_pools);
  perform ${S}.force_unlock_workers(v_pools);
  if v_count > 0 then
    perform pg_notify('jobs:insert', json_build_object('r', random(), 'count', v_count)::text);
  end if;
  return v_count;
end;
$$;
${stepSchemaSql(S)}`;
}

/**
 * Installs or upgrades the adapter's objects in `schema` (graphile-worker's schema must exist), under an
 * advisory lock so that concurrent processes do it once.
 */
export async function migrateAdapterSchema(client: PoolClient, schema: string): Promise<void> {
  const S = quoteIdentifier(schema);
  await client.query("begin");
  try {
    await client.query("select pg_advisory_xact_lock(hashtext($1))", [`switchyard:${schema}`]);
    const { rows: exists } = await client.query<{ present: boolean }>(
      "select to_regclass($1) is not null as present",
      [`${S}.switchyard_meta`],
    );
    const { rows } = exists[0]?.present
      ? await client.query<{ installed: string }>(
          `select value as installed from ${S}.switchyard_meta where key = 'schema_version'`,
        )
      : { rows: [] };
    if (rows[0]?.installed !== String(ADAPTER_SCHEMA_VERSION)) {
      await client.query(adapterSchemaSql(schema));
      await client.query(
        `insert into ${S}.switchyard_meta (key, value) values ('schema_version', $1)
         on conflict (key) do update set value = excluded.value`,
        [String(ADAPTER_SCHEMA_VERSION)],
      );
    }
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  }
}
