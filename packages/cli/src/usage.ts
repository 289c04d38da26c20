export const USAGE = `Usage: switchyard <command> [options]

Commands:
  counts                      jobs per state (queue depth)
  failed                      failed jobs, newest first
  retry <id>                  run a failed job again
  retry --all-failed          run every failed job again
  cancel <id>                 cancel a waiting, delayed or running job
  schedules                   the stored schedules and their next run
  dashboard                   serve the dashboard on localhost and print its URL
  vercel-crons --jobs <mod>   the crons of vercel.json for the jobs' declared schedules

Options:
  --json                      machine-readable output (counts, failed, retry, cancel, schedules)
  --job <name>                only this job's (counts, failed, retry --all-failed)
  --limit <n>                 at most n jobs (failed: default 20, at most 1000; retry --all-failed: default 1000)
  --cursor <cursor>           the next page of failed jobs, as printed by the previous one
  --timeout <seconds>         give up on a backend that does not answer (default 30, at most 2147483)
  --port <n>, --host <host>   where the dashboard listens (default 3000, 127.0.0.1)
  --jobs <module>             vercel-crons: the module exporting the job definitions
  --base-path <path>          vercel-crons: the routes' prefix (default /api/cron)
  --write <file>              vercel-crons: merge the crons into this vercel.json
  -h, --help                  this help

The backend comes from the environment, as for backendFromEnv(): SWITCHYARD_BACKEND
(bullmq, bullmq-postgres, postgres, qstash, inngest, trigger) and its variables (REDIS_URL,
DATABASE_URL, ...).
Exit codes: 0 done, 1 failed (the message says why), 2 bad usage.
`;
