/**
 * Group append: appends to different streams that reach their publish in
 * the same turn of the event loop share one publish of the log (one
 * write(2) per file instead of one per append; with autoSync, one sync).
 *
 * A publish waits for the microtasks already queued to run (a process tick
 * queued from a microtask runs once the microtask queue is empty), so every
 * command in flight gets to its publish first. A lone append waits for
 * nothing else: the tick runs as soon as its own chain of awaits stops.
 *
 * Each append's events stay contiguous, in one publish, so they are stored
 * together or not at all as before; each append learns the offsets of its
 * own events. Appends to one stream never meet in a group: the stream's turn
 * is held across its publish. An append the log refuses before writing
 * anything (ERR_INVALID_ARGUMENT: a value over the log's size limit) must
 * not take the others with it: the group is then published append by
 * append, and only the invalid one fails. Any other failure (a closed log,
 * a failed write, which the log rolls back, or a failed sync) is every
 * member's, as it would have been had each published alone.
 */
import { isLogError, type Log, type PublishMessage } from '../storage/index.js';

interface Member {
  messages: PublishMessage[];
  resolve: (nextOffset: number) => void;
  reject: (err: unknown) => void;
}

export class PublishGroup {
  private pending: Member[] = [];

  constructor(private readonly log: Pick<Log, 'publish'>) {}

  /** Publishes `messages` with whatever else is ready this tick; resolves to the log's next offset after them. */
  publish(messages: PublishMessage[]): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) process.nextTick(() => this.flush());
      this.pending.push({ messages, resolve, reject });
    });
  }

  /** Publishes what is pending now (the tick does, and close() before the log closes). */
  flush(): void {
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    if (group.length === 1) {
      const only = group[0]!;
      this.publishNow(only.messages).then(only.resolve, only.reject);
      return;
    }
    const all = group.flatMap((member) => member.messages);
    this.publishNow(all).then(
      (next) => {
        let offset = next - all.length;
        for (const member of group) {
          offset += member.messages.length;
          member.resolve(offset);
        }
      },
      (err: unknown) => {
        if (!isLogError(err, 'ERR_INVALID_ARGUMENT')) {
          for (const member of group) member.reject(err);
          return;
        }
        // Refused before anything was written: each append alone, so the one at fault fails by itself.
        for (const member of group) this.publishNow(member.messages).then(member.resolve, member.reject);
      },
    );
  }

  /** The log's publish, a throw included as a rejection: this runs in a process tick, where a throw would end the process. */
  private publishNow(messages: PublishMessage[]): Promise<number> {
    try {
      return this.log.publish(messages);
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
