import type { FlowControlSpec } from "./flow-control.js";

interface KeyState {
  parallelism?: number;
  rate?: number;
  periodMs: number;
  active: number;
  windowStart: number;
  windowCount: number;
  paused: boolean;
}

/** Why a delivery cannot start now; `retryAt` (emulator ms) when only the rate window blocks it. */
export type GateVerdict = { open: true } | { open: false; retryAt?: number };

/**
 * Per-key flow control (qstash/features/flowcontrol.mdx): "parallelism" bounds calls that are
 * active ("the call is made to your endpoint and the response is not received yet"); "rate"
 * bounds activations per period. Over-limit messages wait, they are never rejected. The limits
 * are those of the most recent message published with the key [inferred from the flow-control
 * "pin" API: "the system resumes updating the configuration based on incoming messages"].
 * The rate window is a fixed window starting at its first activation [inferred].
 */
export class FlowControlLimiter {
  private readonly keys = new Map<string, KeyState>();

  configure(spec: FlowControlSpec): void {
    const state = this.state(spec.key);
    state.parallelism = spec.parallelism;
    state.rate = spec.rate;
    state.periodMs = spec.periodMs;
  }

  check(key: string, now: number): GateVerdict {
    const state = this.state(key);
    if (state.paused) return { open: false };
    if (state.parallelism !== undefined && state.active >= state.parallelism) return { open: false };
    if (state.rate !== undefined) {
      if (now - state.windowStart >= state.periodMs) return { open: true };
      if (state.windowCount >= state.rate)
        return { open: false, retryAt: state.windowStart + state.periodMs };
    }
    return { open: true };
  }

  acquire(key: string, now: number): void {
    const state = this.state(key);
    state.active += 1;
    if (state.rate === undefined) return;
    if (now - state.windowStart >= state.periodMs) {
      state.windowStart = now;
      state.windowCount = 0;
    }
    state.windowCount += 1;
  }

  release(key: string): void {
    const state = this.keys.get(key);
    if (state) state.active = Math.max(0, state.active - 1);
  }

  setPaused(key: string, paused: boolean): void {
    this.state(key).paused = paused;
  }

  resetRate(key: string, now: number): void {
    const state = this.state(key);
    state.windowStart = now;
    state.windowCount = 0;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  keyNames(): string[] {
    return [...this.keys.keys()];
  }

  /** The `GET /v2/flowControl/{key}` shape (OA FlowControlKey). */
  describe(key: string, waitListSize: number) {
    const state = this.state(key);
    return {
      flowControlKey: key,
      waitListSize,
      parallelismMax: state.parallelism ?? 0,
      parallelismCount: state.active,
      rateMax: state.rate ?? 0,
      rateCount: state.windowCount,
      ratePeriod: state.periodMs / 1000,
      ratePeriodStart: Math.floor(state.windowStart / 1000),
      isPinnedParallelism: false,
      isPinnedRate: false,
      isPaused: state.paused,
    };
  }

  clear(): void {
    this.keys.clear();
  }

  private state(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      state = {
        periodMs: 1_000,
        active: 0,
        windowStart: Number.NEGATIVE_INFINITY,
        windowCount: 0,
        paused: false,
      };
      this.keys.set(key, state);
    }
    return state;
  }
}
