import { createExampleJobs, type ExampleJobs } from "@switchyard/example-framework-kit/jobs";

let jobs: ExampleJobs | undefined;

/**
 * The app's Switchyard clients, made on the first request: `next build` loads the route modules,
 * and the signing keys and URLs are only in the environment the server runs with.
 */
export function getJobs(): ExampleJobs {
  jobs ??= createExampleJobs();
  return jobs;
}
