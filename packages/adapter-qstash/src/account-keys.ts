import { createHash } from "node:crypto";
import { ConfigError } from "@switchyard/core";
import { describeValue } from "@switchyard/core/adapter";

/**
 * Names the adapter gives things on the QStash account. QStash scopes deduplication ids, flow-control
 * keys, schedule ids and labels to the whole account, so each starts with the namespace. Only
 * `[A-Za-z0-9._-]` is used: QStash's schedule ids allow nothing else, and a region is known to reject
 * `:` in deduplication ids.
 */
export class AccountKeys {
  constructor(readonly namespace: string) {}

  /** The label on every message of this namespace: `listFailed()` filters the DLQ by it. */
  get label(): string {
    return this.namespace;
  }

  /** The label on every message of one job. */
  jobLabel(job: string): string {
    return `${this.namespace}.${job}`;
  }

  /** The `Upstash-Deduplication-Id` of an idempotency key: per job, so two jobs never collide. */
  deduplicationId(job: string, idempotencyKey: string): string {
    return `${this.namespace}.${job}.${digest(idempotencyKey, 32)}`;
  }

  /** The flow-control key that carries a job's concurrency limit, per concurrency key when there is one. */
  flowControlKey(job: string, concurrencyKey?: string): string {
    const base = `${this.namespace}.${job}`;
    return concurrencyKey === undefined ? base : `${base}.${digest(concurrencyKey, 16)}`;
  }

  /** The QStash schedule id of a Switchyard schedule id (which may hold any character). */
  scheduleId(id: string): string {
    return `${this.namespace}.${escapeId(id)}`;
  }

  /** The Switchyard schedule id back, or undefined for a schedule outside this namespace. */
  switchyardScheduleId(scheduleId: string): string | undefined {
    const prefix = `${this.namespace}.`;
    if (!scheduleId.startsWith(prefix)) return undefined;
    return unescapeId(scheduleId.slice(prefix.length));
  }
}

const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;

export function assertNamespace(namespace: string, where: string): void {
  if (!NAMESPACE.test(namespace)) {
    throw new ConfigError(
      `${where}: namespace must be 1-64 letters, digits, "_" or "-", got ${describeValue(namespace)}`,
    );
  }
}

function digest(value: string, length: number): string {
  return createHash("sha256").update(value).digest("hex").slice(0, length);
}

/**
 * A reversible escape into `[A-Za-z0-9.-_]`: `_` becomes `__`, any other character outside
 * `[A-Za-z0-9.-]` becomes `_` and two hex digits per UTF-8 byte. `email.send:1` → `email.send_3a1`.
 */
export function escapeId(id: string): string {
  let out = "";
  for (const char of id) {
    if (/[A-Za-z0-9.-]/.test(char)) out += char;
    else if (char === "_") out += "__";
    else for (const byte of Buffer.from(char, "utf8")) out += `_${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

export function unescapeId(escaped: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    const char = escaped[i]!;
    if (char !== "_") {
      bytes.push(...Buffer.from(char, "utf8"));
      continue;
    }
    if (escaped[i + 1] === "_") {
      bytes.push(0x5f);
      i++;
      continue;
    }
    const hex = escaped.slice(i + 1, i + 3);
    if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(bytes).toString("utf8");
}
