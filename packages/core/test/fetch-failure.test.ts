import { describe, expect, it } from "vitest";
import { describeFailure, fetchFailure } from "../src/adapter.js";

/** What Node's fetch throws: a TypeError "fetch failed" whose cause is the socket's error. */
function fetchFailed(cause: unknown): TypeError {
  return new TypeError("fetch failed", { cause });
}

function systemError(message: string, fields: { code: string; syscall?: string }): Error {
  return Object.assign(new Error(message), fields);
}

describe("fetchFailure: how far a failed request got", () => {
  it("says not-sent for DNS, refused, unreachable and connect timeouts", () => {
    const causes = [
      systemError("getaddrinfo ENOTFOUND qstash.invalid", { code: "ENOTFOUND", syscall: "getaddrinfo" }),
      systemError("getaddrinfo EAI_AGAIN qstash.example", { code: "EAI_AGAIN", syscall: "getaddrinfo" }),
      systemError("connect ECONNREFUSED 127.0.0.1:9", { code: "ECONNREFUSED", syscall: "connect" }),
      systemError("connect EHOSTUNREACH 10.0.0.1:443", { code: "EHOSTUNREACH", syscall: "connect" }),
      systemError("connect ETIMEDOUT 10.0.0.1:443", { code: "ETIMEDOUT", syscall: "connect" }),
      systemError("Connect Timeout Error", { code: "UND_ERR_CONNECT_TIMEOUT" }),
    ];
    for (const cause of causes) expect(fetchFailure(fetchFailed(cause)), cause.message).toBe("not-sent");
  });

  it("says not-sent when every address of a host refused (IPv6 and IPv4 tried together)", () => {
    const both = new AggregateError([
      systemError("connect ECONNREFUSED ::1:9", { code: "ECONNREFUSED", syscall: "connect" }),
      systemError("connect ECONNREFUSED 127.0.0.1:9", { code: "ECONNREFUSED", syscall: "connect" }),
    ]);
    expect(fetchFailure(fetchFailed(both))).toBe("not-sent");
  });

  it("says sent for a connection that broke or timed out once open, and for a fetch failure it cannot place", () => {
    const causes = [
      systemError("read ECONNRESET", { code: "ECONNRESET", syscall: "read" }),
      systemError("other side closed", { code: "UND_ERR_SOCKET" }),
      systemError("Headers Timeout Error", { code: "UND_ERR_HEADERS_TIMEOUT" }),
      systemError("write EPIPE", { code: "EPIPE", syscall: "write" }),
      new Error("bad port"),
    ];
    for (const cause of causes) expect(fetchFailure(fetchFailed(cause)), cause.message).toBe("sent");
  });

  it("finds the failure under an SDK's own wrapper, and says nothing of errors that are not network failures", () => {
    const wrapped = new Error("Connection error.", {
      cause: fetchFailed(systemError("connect ECONNREFUSED", { code: "ECONNREFUSED", syscall: "connect" })),
    });
    expect(fetchFailure(wrapped)).toBe("not-sent");
    expect(fetchFailure(new Error("Inngest API Error: 400 Cannot process event payload"))).toBeUndefined();
    expect(fetchFailure(Object.assign(new Error("Unauthorized"), { status: 401 }))).toBeUndefined();
    expect(fetchFailure(undefined)).toBeUndefined();
  });

  it("describes the whole cause chain", () => {
    const error = fetchFailed(systemError("connect ECONNREFUSED 127.0.0.1:9", { code: "ECONNREFUSED" }));
    expect(describeFailure(error)).toBe("fetch failed: connect ECONNREFUSED 127.0.0.1:9");
  });
});
