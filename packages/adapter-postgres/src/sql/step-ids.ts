/**
 * A select-list expression (`schemaSql`: the quoted schema): the ids of the completed steps of the job whose id is `jobId` (an SQL
 * expression), in the order they were first saved; NULL when it has none. For `JobSnapshot.steps`.
 */
export function stepIdsColumn(schemaSql: string, jobId: string): string {
  return `(select array_agg(st.step_id order by st.position) from ${schemaSql}.switchyard_steps st
            where st.job_id = ${jobId}) as steps`;
}
