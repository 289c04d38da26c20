import {
  type FunctionConfigWire,
  type RegisteredFunction,
  registerFunctionConfig,
} from "./function-config.js";

/** Apps and their functions, as last synced. */
export class AppRegistry {
  readonly #functions = new Map<string, RegisteredFunction>();
  readonly #appUrls = new Map<string, string>();

  /**
   * Replaces every function of `appId` with `configs` (a sync is a full
   * replacement of the app). All configs are validated before anything
   * changes; throws `FunctionConfigError` on the first bad one.
   */
  sync(
    appId: string,
    url: string,
    configs: FunctionConfigWire[],
    rejectUnemulated: boolean,
  ): RegisteredFunction[] {
    const registered = configs.map((config) => registerFunctionConfig(config, appId, rejectUnemulated));
    for (const [slug, fn] of this.#functions) {
      if (fn.info.appId === appId) this.#functions.delete(slug);
    }
    for (const fn of registered) this.#functions.set(fn.info.slug, fn);
    this.#appUrls.set(appId, url);
    return registered;
  }

  get(slug: string): RegisteredFunction | undefined {
    return this.#functions.get(slug);
  }

  all(): RegisteredFunction[] {
    return [...this.#functions.values()];
  }

  appIds(): string[] {
    return [...this.#appUrls.keys()];
  }
}
