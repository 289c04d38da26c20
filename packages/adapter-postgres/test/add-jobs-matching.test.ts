// add_jobs' rows matched back to the jobs of a batch when they do not come back in request order.
import { describe, expect, it } from "vitest";
import { matchIds } from "../src/sql/add-jobs.js";
import type { NewJob } from "../src/sql/new-job.js";

function newJob(name: string, payloadJson: string, index: number): NewJob {
  const lane = { base: name, turn: 0, fallbackLimit: null };
  return {
    name,
    payloadJson,
    lane,
    runAt: undefined,
    maxAttempts: 3,
    priority: undefined,
    flags: null,
    index,
    count: 3,
  };
}

describe("matchIds", () => {
  const jobs = [newJob("mail", "{}", 0), newJob("sms", "{}", 1), newJob("mail", "{}", 2)];

  it("takes the rows in order when they follow the request", () => {
    const rows = [
      { id: "1", payload: "{}", identifier: "mail" },
      { id: "2", payload: "{}", identifier: "sms" },
      { id: "3", payload: "{}", identifier: "mail" },
    ];
    expect(matchIds(jobs, rows)).toEqual(["1", "2", "3"]);
  });

  it("matches reordered rows by job name and payload: a coalesced batch mixes job names", () => {
    const rows = [
      { id: "11", payload: "{}", identifier: "sms" },
      { id: "12", payload: "{}", identifier: "mail" },
      { id: "13", payload: "{}", identifier: "mail" },
    ];
    expect(matchIds(jobs, rows)).toEqual(["12", "11", "13"]);
  });
});
