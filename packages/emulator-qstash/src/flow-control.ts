import { parseHeaderDuration } from "./duration.js";
import { badRequest } from "./http-error.js";

/** Limits attached to a flow-control key (qstash/features/flowcontrol.mdx). */
export interface FlowControlSpec {
  key: string;
  /** Max deliveries of this key whose HTTP call is active at once. */
  parallelism?: number;
  /** Max activations per `periodMs`. */
  rate?: number;
  /** Rate period, emulator-clock ms. Default 1 s ("Default period is a second", QT FlowControl). */
  periodMs: number;
}

/**
 * Parses `Upstash-Flow-Control-Key` + `Upstash-Flow-Control-Value`. The SDK sends
 * `parallelism=N, rate=N, period=<n>s|<dur>` (Q:392-407); the docs also show `Rate=10,Parallelism=10`,
 * so keys are case-insensitive and spaces optional. `ratePerSecond=` is accepted as the old name
 * of `rate`.
 */
export function parseFlowControl(
  key: string | undefined,
  value: string | undefined,
): FlowControlSpec | undefined {
  if (key === undefined || key === "") {
    if (value) throw badRequest("Upstash-Flow-Control-Value requires Upstash-Flow-Control-Key");
    return undefined;
  }
  if (!value) throw badRequest("Upstash-Flow-Control-Key requires Upstash-Flow-Control-Value");
  const spec: FlowControlSpec = { key, periodMs: 1_000 };
  for (const part of value.split(",")) {
    const [rawName, rawValue] = part.split("=").map((s) => s.trim());
    const name = rawName?.toLowerCase();
    if (!name || rawValue === undefined) throw badRequest(`invalid Upstash-Flow-Control-Value: ${value}`);
    if (name === "period") {
      const ms = parseHeaderDuration(rawValue);
      if (ms === undefined || ms <= 0) throw badRequest(`invalid flow control period: ${rawValue}`);
      spec.periodMs = ms;
      continue;
    }
    const n = Number(rawValue);
    if (!Number.isInteger(n) || n <= 0) throw badRequest(`invalid flow control ${name}: ${rawValue}`);
    if (name === "parallelism") spec.parallelism = n;
    else if (name === "rate" || name === "ratepersecond") spec.rate = n;
    else throw badRequest(`unknown flow control setting: ${rawName}`);
  }
  if (spec.parallelism === undefined && spec.rate === undefined) {
    throw badRequest("flow control needs parallelism or rate");
  }
  return spec;
}

/** Renders the header value back, as QStash echoes it on deliveries. */
export function formatFlowControlValue(spec: FlowControlSpec): string {
  const parts: string[] = [];
  if (spec.parallelism !== undefined) parts.push(`parallelism=${spec.parallelism}`);
  if (spec.rate !== undefined) parts.push(`rate=${spec.rate}`, `period=${spec.periodMs / 1000}s`);
  return parts.join(", ");
}
