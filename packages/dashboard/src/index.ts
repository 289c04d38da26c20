// @switchyard/dashboard: a web dashboard of a Switchyard client, as a mountable Web handler.
export { dashboard } from "./dashboard.js";
export type { DashboardOptions, RedactFunction } from "./options.js";
export { REDACTED } from "./redact.js";
export { type ServeDashboardOptions, type ServedDashboard, serveDashboard } from "./serve.js";
