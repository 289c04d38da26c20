import type { EmulatorState } from "../emulator-state.js";
import { randomSigningKey } from "../options.js";
import { type Route, route } from "../router.js";

/**
 * Rolls the signing keys: "current" takes the value of "next" and a new "next" is generated
 * (qstash/howto/roll-signing-keys.mdx); returns the new pair (OA POST /v2/keys/rotate).
 */
export function rotateSigningKeys(state: EmulatorState): { current: string; next: string } {
  state.keys.current = state.keys.next;
  state.keys.next = randomSigningKey();
  return { ...state.keys };
}

export function keyRoutes(state: EmulatorState): Route[] {
  return [
    route("GET", /^\/v2\/keys\/?$/, () => ({ status: 200, body: { ...state.keys } })),
    route("POST", /^\/v2\/keys\/rotate\/?$/, () => ({ status: 200, body: rotateSigningKeys(state) })),
  ];
}
