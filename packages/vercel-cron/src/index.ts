// @switchyard/vercel-cron: declared schedules driven by Vercel Cron, on any backend.
export { DEFAULT_BASE_PATH } from "./cron-path.js";
export { type VercelCronOptions, type VercelCronResult, vercelCron } from "./vercel-cron-handler.js";
export {
  type VercelCronEntry,
  type VercelCronsOptions,
  vercelCrons,
  withVercelCrons,
} from "./vercel-crons.js";
export { toVercelSchedule } from "./vercel-schedule.js";
