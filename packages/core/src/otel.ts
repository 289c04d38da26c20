// @switchyard/core/otel: OpenTelemetry traces and metrics, for `createSwitchyard({ telemetry })`.
// The only entry point that imports @opentelemetry/api (an optional peer dependency of core).
export { type OpenTelemetryOptions, openTelemetry } from "./otel/open-telemetry.js";
export * from "./otel/otel-attributes.js";
