import { type Capabilities, type Feature, supports } from "@switchyard/core";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { ConformanceHarness } from "./harness.js";
import { type ConformanceReport, type ScenarioReport, writeReport } from "./report.js";
import type { Scenario } from "./scenario.js";
import { createScenarioContext } from "./scenario-context.js";
import { allScenarios } from "./scenarios/index.js";
import {
  executionCheck,
  oneClientCheck,
  UNSUPPORTED_CHECKS,
  type UnsupportedCheck,
} from "./unsupported-checks.js";

export interface ConformanceSuiteOptions {
  /** Whether the harness can open a second backend on the same store (ConformanceHarness.reconnect). Default false. */
  reconnects?: boolean;
  /** The backend's name; the report goes to `reports/conformance/<name>.json`. */
  name: string;
  /** The backend's manifest; it decides at collection time which scenarios run, so skip reasons appear in titles. */
  capabilities: Capabilities;
  createHarness(): Promise<ConformanceHarness> | ConformanceHarness;
  /** Default: every scenario of the kit. */
  scenarios?: ReadonlyArray<Scenario>;
}

/**
 * Registers the conformance scenarios with vitest for one backend. Scenarios whose features the
 * backend lacks are reported as skipped with the reason in their title, and their negative path (a
 * NotSupportedError) runs as a test of its own. `SWITCHYARD_SCENARIOS=retry,idempotency` runs only
 * the scenarios whose id starts with one of the prefixes (and then writes no report).
 */
export function defineConformanceSuite(options: ConformanceSuiteOptions): void {
  const filter = (process.env.SWITCHYARD_SCENARIOS ?? "").split(",").filter(Boolean);
  const scenarios = (options.scenarios ?? allScenarios).filter(
    (scenario) => filter.length === 0 || filter.some((prefix) => scenario.id.startsWith(prefix)),
  );
  const reports = new Map<string, ScenarioReport>();
  let harness: ConformanceHarness | undefined;
  const { capabilities } = options;
  // Known at collection time (before the harness exists), so skip reasons appear in titles.
  const harnessReconnects = options.reconnects ?? false;

  describe(`conformance: ${options.name}`, () => {
    beforeAll(async () => {
      harness = await options.createHarness();
      const probe = await harness.createBackend();
      await probe.close();
      if (JSON.stringify(probe.capabilities) !== JSON.stringify(capabilities)) {
        throw new Error(
          `the ${options.name} backend's capabilities differ from the manifest given to the suite`,
        );
      }
    });

    afterAll(async () => {
      await harness?.dispose?.();
      if (filter.length > 0 || reports.size === 0) return;
      const ordered = scenarios.map((scenario) => reports.get(scenario.id)).filter((r) => r !== undefined);
      const report: ConformanceReport = {
        backend: options.name,
        passed: ordered.filter((r) => r.status === "passed").length,
        failed: ordered.filter((r) => r.status === "failed").length,
        skipped: ordered.filter((r) => r.status === "skipped").length,
        generatedAt: new Date().toISOString(),
        capabilities,
        scenarios: ordered,
      };
      writeReport(report);
    });

    for (const scenario of scenarios) {
      const timeout = scenario.timeoutMs ?? 30_000;
      const missing = missingFeatures(capabilities, scenario);
      if (scenario.multiProcess && !harnessReconnects) missing.push(ONE_PROCESS);
      if (missing.length === 0) {
        const register = scenario.concurrent ? it.concurrent : it;
        register(scenario.title, { timeout }, () => runRecorded(harness!, scenario, reports, scenario.run));
        continue;
      }
      const reason = `unsupported: ${missing.join(", ")}`;
      reports.set(scenario.id, {
        id: scenario.id,
        title: `${scenario.title} [${reason}]`,
        status: "skipped",
        reason,
      });
      it.skip(`${scenario.title} [${reason}]`, () => {});
      const instead = insteadCheck(scenario, missing);
      it(`${scenario.title} [${reason}] instead: ${instead.describe}`, { timeout }, () =>
        runRecorded(harness!, scenario, reports, instead.run, reason, instead.describe),
      );
    }
  });
}

/** Runs `body` with a fresh context and records how it went; a skipped scenario records its negative check. */
async function runRecorded(
  harness: ConformanceHarness,
  scenario: Scenario,
  reports: Map<string, ScenarioReport>,
  body: Scenario["run"],
  skippedReason?: string,
  insteadDescription?: string,
): Promise<void> {
  const { context, cleanup } = createScenarioContext(harness);
  const started = Date.now();
  const record = (error?: unknown) => {
    const durationMs = Date.now() - started;
    if (skippedReason) {
      reports.set(scenario.id, {
        id: scenario.id,
        title: `${scenario.title} [${skippedReason}]`,
        status: "skipped",
        reason: skippedReason,
        negativeCheck: error === undefined ? "passed" : "failed",
        instead: insteadDescription,
        durationMs,
      });
    } else {
      const provided = scenario.requires
        .map((feature) => harness.providedByHarness?.[feature])
        .filter((text) => text !== undefined);
      reports.set(scenario.id, {
        id: scenario.id,
        title: scenario.title,
        status: error === undefined ? "passed" : "failed",
        error: error === undefined ? undefined : String((error as Error)?.message ?? error),
        durationMs,
        providedByHarness: provided.length > 0 ? provided.join("; ") : undefined,
      });
    }
  };
  try {
    await body(context);
    await cleanup();
    record();
  } catch (error) {
    await cleanup().catch(() => {});
    record(error);
    throw error;
  }
}

const EXECUTION_MISMATCH = "execution model";
const ONE_PROCESS = "one process only (the harness cannot reconnect to a store)";

function missingFeatures(capabilities: Capabilities, scenario: Scenario): string[] {
  const missing: string[] = scenario.requires.filter((feature: Feature) => !supports(capabilities, feature));
  if (scenario.execution && !scenario.execution.includes(capabilities.execution)) {
    missing.push(`${EXECUTION_MISMATCH} ${capabilities.execution}`);
  }
  return missing;
}

/**
 * What a skipped scenario checks instead: its own `whenUnsupported` when the scenario names the
 * missing feature in `negativeFor`; otherwise the kit's check of each missing feature
 * (unsupported-checks.ts). A missing feature without a check fails the suite: a skip is never silent.
 */
function insteadCheck(scenario: Scenario, missing: ReadonlyArray<string>): UnsupportedCheck {
  const negativeFor: ReadonlyArray<string> = scenario.negativeFor ?? scenario.requires;
  if (scenario.whenUnsupported && missing.some((feature) => negativeFor.includes(feature))) {
    return { describe: scenario.insteadDescription ?? "NotSupportedError", run: scenario.whenUnsupported };
  }
  const checks = missing.map((feature) => {
    if (feature.startsWith(EXECUTION_MISMATCH)) return executionCheck;
    if (feature === ONE_PROCESS) return oneClientCheck;
    const check = UNSUPPORTED_CHECKS[feature as Feature];
    if (!check)
      throw new Error(
        `no check of what the backend does instead of ${feature}: add one to unsupported-checks.ts`,
      );
    return check;
  });
  return {
    describe: checks.map((check) => check.describe).join("; "),
    async run(t) {
      for (const check of checks) await check.run(t);
    },
  };
}
