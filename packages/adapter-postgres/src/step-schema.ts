// The schema objects of durable steps (ctx.step), installed with the adapter's other objects
// (adapterSchemaSql appends them). The suspension itself is applied by the release trigger
// (switchyard_tg_job_released, outcome 'suspended'); see suspend-job.ts.

/**
 * The key the adapter sets in a graphile-worker job's `flags` with the job's first step (in the same
 * statement): an attempt loads the job's steps only when its job has this flag, so a job that never
 * used steps pays no query for them.
 */
export const STEPS_FLAG = "switchyard_steps";

/**
 * Set in the `flags` of a child job (`step.invoke`) once its parent stored the invoke, with the key
 * PARENT_FLAG_PREFIX + the parent's id: when the child ends (completed, cancelled or failed for good), a
 * trigger wakes the parent (its `run_at` becomes now) instead of leaving it to its next look.
 */
export const CHILD_FLAG = "switchyard_child";
export const PARENT_FLAG_PREFIX = "switchyard_parent:";

/**
 * In graphile-worker's schema `S` (quoted):
 * - `switchyard_steps`: one row per completed step (job id, step id, the JSON StepRecord), in the order
 *   they were first saved (`position`). Written by one upsert per save.
 * - `switchyard_job_state.outcome` also takes 'suspended' (the check is replaced for schemas installed
 *   before steps).
 * - a job's steps are deleted with its finished record (a statement trigger on `switchyard_finished`,
 *   whose rows the workers' maintenance deletes after keepFinished), or, for a job deleted without one
 *   (graphile-worker's own tools), when that deletion commits (a deferred trigger on graphile-worker's
 *   jobs, fired only for jobs with STEPS_FLAG; deferred because a cancellation deletes the job before
 *   it writes the finished record).
 * - triggers that wake a suspended parent when its child job (CHILD_FLAG) ends: deleted (completed or
 *   cancelled) or released for good (failed). They fire only for child jobs.
 */
export function stepSchemaSql(schemaSql: string): string {
  return `
create table if not exists ${schemaSql}.switchyard_steps (
  job_id bigint not null,
  step_id text not null,
  position bigint generated always as identity,
  record json not null,
  primary key (job_id, step_id)
);

alter table ${schemaSql}.switchyard_job_state drop constraint if exists switchyard_job_state_outcome_check;
alter table ${schemaSql}.switchyard_job_state add constraint switchyard_job_state_outcome_check
  check (outcome in ('retry', 'failed', 'permanent', 'released', 'cancelled', 'suspended'));

create or replace function ${schemaSql}.switchyard_tg_finished_deleted() returns trigger
language plpgsql as $$
begin
  delete from ${schemaSql}.switchyard_steps st using gone where st.job_id = gone.job_id;
  return null;
end;
$$;
drop trigger if exists _500_switchyard_finished_deleted on ${schemaSql}.switchyard_finished;
create trigger _500_switchyard_finished_deleted
  after delete on ${schemaSql}.switchyard_finished
  referencing old table as gone
  for each statement execute function ${schemaSql}.switchyard_tg_finished_deleted();

create or replace function ${schemaSql}.switchyard_tg_job_steps_gone() returns trigger
language plpgsql as $$
begin
  delete from ${schemaSql}.switchyard_steps st
   where st.job_id = old.id
     and not exists (select 1 from ${schemaSql}.switchyard_finished f where f.job_id = old.id);
  return null;
end;
$$;
drop trigger if exists _510_switchyard_job_steps_gone on ${schemaSql}._private_jobs;
create constraint trigger _510_switchyard_job_steps_gone
  after delete on ${schemaSql}._private_jobs
  deferrable initially deferred
  for each row when (old.flags ? '${STEPS_FLAG}')
  execute function ${schemaSql}.switchyard_tg_job_steps_gone();

-- Early wake of a parent whose child ended: only a parent that sleeps (unlocked, due later) is moved to
-- now; it then looks at its child at once. A parent that runs, or is gone, is left alone (it looks again
-- on its own).
create or replace function ${schemaSql}.switchyard_tg_child_ended() returns trigger
language plpgsql as $$
declare
  v_flags jsonb := case when tg_op = 'DELETE' then old.flags else new.flags end;
  v_parent bigint;
begin
  select substr(k, ${PARENT_FLAG_PREFIX.length + 1})::bigint into v_parent
    from jsonb_object_keys(v_flags) k
   where left(k, ${PARENT_FLAG_PREFIX.length}) = '${PARENT_FLAG_PREFIX}'
   limit 1;
  update ${schemaSql}._private_jobs p set run_at = now()
   where p.id = v_parent and p.locked_at is null and p.run_at > now() and p.attempts < p.max_attempts;
  if found then
    perform pg_notify('jobs:insert', '{"count":1}');
  end if;
  return null;
end;
$$;
drop trigger if exists _520_switchyard_child_deleted on ${schemaSql}._private_jobs;
create trigger _520_switchyard_child_deleted
  after delete on ${schemaSql}._private_jobs
  for each row when (old.flags ? '${CHILD_FLAG}')
  execute function ${schemaSql}.switchyard_tg_child_ended();
drop trigger if exists _520_switchyard_child_failed on ${schemaSql}._private_jobs;
create trigger _520_switchyard_child_failed
  after update of last_error on ${schemaSql}._private_jobs
  for each row when (new.flags ? '${CHILD_FLAG}' and old.locked_at is not null and new.locked_at is null
                     and new.attempts >= new.max_attempts)
  execute function ${schemaSql}.switchyard_tg_child_ended();
`;
}
