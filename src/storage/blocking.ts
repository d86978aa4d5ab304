/**
 * Blocking consume (klevdb's log_blocking.go): a Log whose publishes wake
 * readers waiting for messages past an offset.
 */
import { invalidArgument } from './errors.js';
import { checkBlockingArgs, checkBlockingByKeyArgs } from './log-contract.js';
import { open } from './log.js';
import { DirectoryFollower, OffsetNotify } from './notify.js';
import type {
  BlockingLog,
  ConsumeResult,
  DeleteResult,
  Log,
  Message,
  Options,
  PublishMessage,
  Stats,
} from './types.js';

export interface BlockingOptions {
  /**
   * The log directory, when the log is readonly and follows a writer in
   * another process (Options.followWriter): waiters are then also woken by
   * changes to the directory. openBlocking sets it from its options.
   */
  followDir?: string;
}

/** The notifier for a log, following its directory when asked to. */
export async function notifierFor(log: Pick<Log, 'nextOffset'>, options: BlockingOptions = {}): Promise<OffsetNotify> {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('wrapBlocking: options must be an object when given');
  if (options.followDir !== undefined && typeof options.followDir !== 'string') {
    throw invalidArgument('wrapBlocking: options.followDir must be a string when given');
  }
  const notify = new OffsetNotify(await log.nextOffset());
  if (options.followDir !== undefined) {
    new DirectoryFollower(notify, options.followDir, () => log.nextOffset());
  }
  return notify;
}

/** Where openBlocking / openTypedBlocking must watch the directory. */
export function followDirOf(dir: string, opts: Options | undefined): BlockingOptions {
  return opts?.readonly === true && opts.followWriter === true ? { followDir: dir } : {};
}

function checkLog(method: string, log: unknown): asserts log is Log {
  const candidate = log as Partial<Log> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.consume !== 'function') {
    throw invalidArgument(`${method}: log must be a Log`);
  }
}

class NotifyingLog implements BlockingLog {
  constructor(
    private readonly log: Log,
    private readonly notify: OffsetNotify,
  ) {}

  async publish(messages: PublishMessage[]): Promise<number> {
    const nextOffset = await this.log.publish(messages);
    this.notify.set(nextOffset);
    return nextOffset;
  }

  async consumeBlocking(offset: number, maxCount: number, signal?: AbortSignal): Promise<ConsumeResult> {
    checkBlockingArgs('consumeBlocking', offset, maxCount, signal);
    await this.notify.wait(offset, signal);
    return this.log.consume(offset, maxCount);
  }

  async consumeByKeyBlocking(
    key: Uint8Array | string,
    offset: number,
    maxCount: number,
    signal?: AbortSignal,
  ): Promise<ConsumeResult> {
    checkBlockingByKeyArgs(key, offset, maxCount, signal);
    await this.notify.wait(offset, signal);
    return this.log.consumeByKey(key, offset, maxCount);
  }

  async close(): Promise<void> {
    // Waiters first, so none of them consumes from a log being closed.
    this.notify.close();
    await this.log.close();
  }

  nextOffset = (): Promise<number> => this.log.nextOffset();
  consume = (offset: number, maxCount: number): Promise<ConsumeResult> => this.log.consume(offset, maxCount);
  consumeByKey = (key: Uint8Array | string, offset: number, maxCount: number): Promise<ConsumeResult> =>
    this.log.consumeByKey(key, offset, maxCount);
  get = (offset: number): Promise<Message> => this.log.get(offset);
  getByKey = (key: Uint8Array | string): Promise<Message> => this.log.getByKey(key);
  offsetByKey = (key: Uint8Array | string): Promise<number> => this.log.offsetByKey(key);
  getByTime = (start: Date): Promise<Message> => this.log.getByTime(start);
  offsetByTime = (start: Date): Promise<{ offset: number; time: Date }> => this.log.offsetByTime(start);
  delete = (offsets: Iterable<number>): Promise<DeleteResult> => this.log.delete(offsets);
  size = (m: Message): number => this.log.size(m);
  stat = (): Promise<Stats> => this.log.stat();
  backup = (dir: string): Promise<void> => this.log.backup(dir);
  sync = (): Promise<number> => this.log.sync();
  gc = (unusedForMs: number): Promise<void> => this.log.gc(unusedForMs);
}

/**
 * Wraps a log with blocking consume. Only publishes made through the result
 * wake waiters (as in Go), unless options.followDir is set.
 */
export async function wrapBlocking(log: Log, options?: BlockingOptions): Promise<BlockingLog> {
  checkLog('wrapBlocking', log);
  return new NotifyingLog(log, await notifierFor(log, options));
}

export async function openBlocking(dir: string, opts?: Options): Promise<BlockingLog> {
  const log = await open(dir, opts);
  try {
    return await wrapBlocking(log, followDirOf(dir, opts));
  } catch (err) {
    await log.close();
    throw err;
  }
}
