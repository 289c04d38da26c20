import type { EmulatedEnvironmentType } from "./types.js";

/** The one project/environment an emulator instance serves, as it appears in `ctx` and `env`. */
export interface EmulatedEnvironment {
  id: string;
  slug: string;
  type: EmulatedEnvironmentType;
  organization: { id: string; slug: string; name: string };
  project: { id: string; ref: string; slug: string; name: string };
  /** The "deployed" worker every run executes on (`taskContext.worker`). */
  worker: { id: string; version: string; contentHash: string; engine: "V2" };
}

const SLUGS: Record<EmulatedEnvironmentType, string> = {
  PRODUCTION: "prod",
  STAGING: "stg",
  DEVELOPMENT: "dev",
  PREVIEW: "preview",
};

export function createEmulatedEnvironment(type: EmulatedEnvironmentType): EmulatedEnvironment {
  return {
    id: "env_switchyard_emulator",
    slug: SLUGS[type],
    type,
    organization: { id: "org_switchyard_emulator", slug: "switchyard", name: "Switchyard" },
    project: {
      id: "project_switchyard_emulator",
      ref: "proj_switchyardemulator",
      slug: "switchyard-emulator",
      name: "Switchyard emulator",
    },
    worker: {
      id: "worker_switchyard_emulator",
      version: "emulator.1",
      contentHash: "emulator",
      engine: "V2",
    },
  };
}
