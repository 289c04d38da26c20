import type { StepRecord, StepStore } from "@switchyard/core/adapter";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { RedisScript } from "./redis-script.js";
import { decodeSteps, encodeStep, RESUME_FIELD, stepField } from "./step-fields.js";

/**
 * Stores one step in its job's hash, only while the worker still holds the job's lock: a worker whose
 * lock expired (another may run the job now) stores nothing, and a job removed meanwhile (its lock
 * goes with it) is not brought back as a hash of steps alone.
 * KEYS[1] the job's hash, KEYS[2] its lock; ARGV[1] the worker's lock token, ARGV[2] field, ARGV[3] value.
 */
const SAVE_STEP = new RedisScript(`
if redis.call("GET", KEYS[2]) ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], ARGV[2], ARGV[3])
return 1
`);

/**
 * Reads a job's hash at the start of a run, and hands back the start of a resume: a suspended job
 * (suspend.ts) carries RESUME_FIELD, and the start BullMQ counted when it moved the job to active is
 * taken off `ats` (attemptsStarted) in the same script, so a resume is not an attempt.
 * KEYS[1] the job's hash. Returns HGETALL's reply, after the change.
 */
const OPEN_RUN = new RedisScript(`
if redis.call("HDEL", KEYS[1], "${RESUME_FIELD}") == 1 then redis.call("HINCRBY", KEYS[1], "ats", -1) end
return redis.call("HGETALL", KEYS[1])
`);

const NO_STEPS: ReadonlyMap<string, StepRecord> = new Map();

/** A step could not be stored because the worker no longer holds its job. */
export class StepNotStoredError extends Error {
  constructor(jobId: string, stepId: string) {
    super(
      `step "${stepId}" of job ${jobId} was not stored: this worker no longer holds the job's lock (it expired, and another worker may be running the job)`,
    );
    this.name = "StepNotStoredError";
  }
}

/**
 * True unless this is the job's very first start, the only run that cannot have stored steps (nor be
 * a resume). BullMQ's record tells it apart without a read: started once, no attempt made, and no
 * failure recorded (a manual retry resets the counts but keeps the stack traces).
 */
function ranBefore(job: Job): boolean {
  return job.attemptsStarted > 1 || job.attemptsMade > 0 || (job.stacktrace?.length ?? 0) > 0;
}

/**
 * The step store of a job's run: its completed steps, read with the job's hash in one round trip
 * before the run (none on a first start), and each new step stored with one EVALSHA. On a resume it
 * also corrects `job.attemptsStarted`, which the caller reads as the attempt number: open the store
 * before reading it.
 */
export function openStepStore(
  redis: Redis,
  jobId: string,
  job: Job,
  token: string | undefined,
): JobStepStore | Promise<JobStepStore> {
  const key = `${job.queueQualifiedName}:${job.id}`;
  if (!ranBefore(job)) return new JobStepStore(redis, jobId, key, token, NO_STEPS, undefined);
  return OPEN_RUN.run(redis, [key], []).then((reply) => {
    const hash = hashOf(reply as string[]);
    if (hash.ats !== undefined) job.attemptsStarted = Number(hash.ats);
    const completed = new Map<string, StepRecord>();
    const seqs = new Map<string, number>();
    for (const [stepId, { seq, record }] of decodeSteps(hash)) {
      completed.set(stepId, record);
      seqs.set(stepId, seq);
    }
    return new JobStepStore(redis, jobId, key, token, completed, seqs);
  });
}

/** HGETALL's reply as a script returns it (field, value, field, value...) as an object. */
function hashOf(reply: ReadonlyArray<string>): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) hash[reply[i]!] = reply[i + 1]!;
  return hash;
}

/** A step was called by a handler whose attempt is over (aborted, or its worker stopped or crashed). */
export class AttemptEndedError extends Error {
  constructor(jobId: string) {
    super(
      `a step of job ${jobId} was called after its attempt ended (aborted, or its worker stopped); it does not run`,
    );
    this.name = "AttemptEndedError";
  }
}

export class JobStepStore implements StepStore {
  readonly #completed: ReadonlyMap<string, StepRecord>;
  #ended = false;
  readonly #redis: Redis;
  readonly #jobId: string;
  readonly #key: string;
  readonly #token: string;
  /** Each stored step's seq (created on the first save of a first start). */
  #seqs: Map<string, number> | undefined;
  #nextSeq: number;

  constructor(
    redis: Redis,
    jobId: string,
    key: string,
    token: string | undefined,
    completed: ReadonlyMap<string, StepRecord>,
    seqs: Map<string, number> | undefined,
  ) {
    this.#completed = completed;
    this.#redis = redis;
    this.#jobId = jobId;
    this.#key = key;
    this.#token = token ?? "";
    this.#seqs = seqs;
    let last = -1;
    for (const seq of seqs?.values() ?? []) last = Math.max(last, seq);
    this.#nextSeq = last + 1;
  }

  /**
   * Read by core before each step runs. Once the attempt is over, a handler that went on (one that
   * ignores its abort signal, or outlived a crash of its worker in this process) is refused here, before
   * the step's function runs: the job's next run owns its steps.
   */
  get completed(): ReadonlyMap<string, StepRecord> {
    if (this.#ended) throw new AttemptEndedError(this.#jobId);
    return this.#completed;
  }

  /** Called when the attempt is over: no step runs or is stored after it. */
  end(): void {
    this.#ended = true;
  }

  async save(stepId: string, record: StepRecord): Promise<void> {
    if (this.#ended) throw new AttemptEndedError(this.#jobId);
    this.#seqs ??= new Map();
    let seq = this.#seqs.get(stepId);
    if (seq === undefined) {
      seq = this.#nextSeq++;
      this.#seqs.set(stepId, seq);
    }
    const stored = await SAVE_STEP.run(
      this.#redis,
      [this.#key, `${this.#key}:lock`],
      [this.#token, stepField(stepId), encodeStep(seq, record)],
    );
    if (stored !== 1) throw new StepNotStoredError(this.#jobId, stepId);
  }
}
