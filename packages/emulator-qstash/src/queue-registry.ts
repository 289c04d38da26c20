import { badRequest } from "./http-error.js";

export interface QueueState {
  name: string;
  createdAt: number;
  updatedAt: number;
  parallelism: number;
  paused: boolean;
  active: number;
}

/**
 * Queues (QT:1166-1190): `parallelism` bounds in-flight deliveries of the queue, a paused queue
 * holds its messages. Enqueueing to an unknown queue creates it "with default parallelism"
 * (OA /v2/enqueue), which is 1 like the SDK's `upsert` default (Q:1915).
 */
export class QueueRegistry {
  private readonly queues = new Map<string, QueueState>();

  ensure(name: string, now: number): QueueState {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = { name, createdAt: now, updatedAt: now, parallelism: 1, paused: false, active: 0 };
      this.queues.set(name, queue);
    }
    return queue;
  }

  upsert(name: string, settings: { parallelism?: number; paused?: boolean }, now: number): QueueState {
    if (
      settings.parallelism !== undefined &&
      (!Number.isInteger(settings.parallelism) || settings.parallelism < 1)
    ) {
      throw badRequest(`parallelism must be a positive integer, got ${settings.parallelism}`);
    }
    const queue = this.ensure(name, now);
    if (settings.parallelism !== undefined) queue.parallelism = settings.parallelism;
    if (settings.paused !== undefined) queue.paused = settings.paused;
    queue.updatedAt = now;
    return queue;
  }

  get(name: string): QueueState | undefined {
    return this.queues.get(name);
  }

  list(): QueueState[] {
    return [...this.queues.values()];
  }

  delete(name: string): boolean {
    return this.queues.delete(name);
  }

  isOpen(name: string): boolean {
    const queue = this.queues.get(name);
    return !queue || (!queue.paused && queue.active < queue.parallelism);
  }

  acquire(name: string): void {
    const queue = this.queues.get(name);
    if (queue) queue.active += 1;
  }

  release(name: string): void {
    const queue = this.queues.get(name);
    if (queue) queue.active = Math.max(0, queue.active - 1);
  }

  clear(): void {
    this.queues.clear();
  }
}
