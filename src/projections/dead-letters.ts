/**
 * The dead-letter log of a generation, for onError: 'skip'. A failure is
 * recorded (and synced) before the commit that moves the checkpoint past the
 * event, so it is never lost; after a crash between the two, the event fails
 * again on replay and is recognised by its offset (events come in offset
 * order, so "at or before the newest recorded offset" means recorded), so it
 * is recorded exactly once.
 */
import { isLogError, OffsetOldest, type Log } from '../storage/index.js';
import { describe } from './errors.js';

export interface DeadLetter {
  projection: string;
  /** Source offset of the event that was skipped. */
  offset: number;
  eventType?: string;
  error: string;
  recordedAt: string;
}

const KEY = 'dead-letter';

export class DeadLetters {
  private constructor(
    private readonly log: Log,
    private readonly projection: string,
    /** Newest recorded source offset; -1 with none. */
    private newest: number,
    public count: number,
  ) {}

  static async open(log: Log, projection: string): Promise<DeadLetters> {
    let newest = -1;
    try {
      newest = (JSON.parse((await log.getByKey(KEY)).value!.toString('utf8')) as DeadLetter).offset;
    } catch (err) {
      if (!isLogError(err, 'ERR_NOT_FOUND')) throw err;
    }
    return new DeadLetters(log, projection, newest, (await log.stat()).messages);
  }

  /** Records the failure of the event at `offset`; false when it was recorded before (a replay after a crash). */
  async record(offset: number, eventType: string | undefined, error: unknown): Promise<boolean> {
    if (offset <= this.newest) return false;
    const letter: DeadLetter = {
      projection: this.projection,
      offset,
      error: describe(error),
      recordedAt: new Date().toISOString(),
    };
    if (eventType !== undefined) letter.eventType = eventType;
    await this.log.publish([{ key: KEY, value: JSON.stringify(letter) }]);
    this.newest = offset;
    this.count++;
    return true;
  }

  async list(): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for (let offset: number = OffsetOldest; ;) {
      const { messages, nextOffset } = await this.log.consume(offset, 1000);
      if (messages.length === 0) return letters;
      for (const m of messages) letters.push(JSON.parse(m.value!.toString('utf8')) as DeadLetter);
      offset = nextOffset;
    }
  }
}
