// An in-memory model of a klevdb log (V2 segments, both indexes, no deletes):
// what every read must return, following klevdb's Go code (log.go,
// log_reader.go, pkg/index, pkg/segment/index.go).
import { OffsetNewest, OffsetOldest } from '../../src/index.js';
import type { LogErrorCode } from '../../src/index.js';
import type { MessageView } from './messages.js';
import { indexItemSize, V2_HEADER, V2_RECORD_OVERHEAD } from './messages.js';

export interface ModelMessage extends MessageView {
  indexTime: number;
  size: number; // record bytes
}

interface ModelSegment {
  base: number;
  logSize: number;
  messages: ModelMessage[];
}

export type ModelResult<T> = { ok: T } | { error: LogErrorCode };

const ITEM = indexItemSize({ keyIndex: true, timeIndex: true });

export class LogModel {
  private segments: ModelSegment[] = [{ base: 0, logSize: V2_HEADER, messages: [] }];
  private all: ModelMessage[] = [];

  constructor(private readonly rollover: number) {}

  get nextOffset(): number {
    return this.all.length;
  }

  get messages(): readonly ModelMessage[] {
    return this.all;
  }

  /** A non-empty batch, as klevdb's Publish: rollover check first, then append. */
  publish(batch: { key: Buffer | null; value: Buffer | null; timeMicros: number }[]): number {
    let head = this.segments[this.segments.length - 1];
    if (head.logSize > this.rollover) {
      head = { base: this.nextOffset, logSize: V2_HEADER, messages: [] };
      this.segments.push(head);
    }
    for (const m of batch) {
      const prev = this.all.length ? this.all[this.all.length - 1].indexTime : 0;
      const size = V2_RECORD_OVERHEAD + (m.key?.length ?? 0) + (m.value?.length ?? 0);
      const msg: ModelMessage = {
        offset: this.nextOffset,
        timeMicros: m.timeMicros,
        key: m.key && m.key.length ? m.key.toString('hex') : null,
        value: m.value && m.value.length ? m.value.toString('hex') : null,
        indexTime: Math.max(m.timeMicros, prev),
        size,
      };
      head.messages.push(msg);
      head.logSize += size;
      this.all.push(msg);
    }
    return this.nextOffset;
  }

  stat(): { segments: number; messages: number; size: number } {
    let size = 0;
    for (const s of this.segments) size += s.logSize + V2_HEADER + s.messages.length * ITEM;
    return { segments: this.segments.length, messages: this.all.length, size };
  }

  /** The segment a consume of `offset` reads (pkg/segment/index.go Consume). */
  private segmentFor(offset: number): ModelSegment {
    let found = this.segments[0];
    for (const s of this.segments) if (s.base <= offset) found = s;
    return found;
  }

  consume(offset: number, maxCount: number): ModelResult<{ nextOffset: number; offsets: number[] }> {
    if (offset === OffsetNewest) return { ok: { nextOffset: this.nextOffset, offsets: [] } };
    if (offset > this.nextOffset) return { error: 'ERR_INVALID_OFFSET' };
    if (offset === this.nextOffset) return { ok: { nextOffset: this.nextOffset, offsets: [] } };
    const seg = offset === OffsetOldest ? this.segments[0] : this.segmentFor(offset);
    if (seg.messages.length === 0) return { ok: { nextOffset: this.nextOffset, offsets: [] } };
    const start = offset === OffsetOldest ? seg.base : offset;
    const offsets = seg.messages
      .filter((m) => m.offset >= start)
      .slice(0, maxCount)
      .map((m) => m.offset);
    return { ok: { nextOffset: offsets[offsets.length - 1] + 1, offsets } };
  }

  get(offset: number): ModelResult<number> {
    if (this.all.length === 0) return { error: 'ERR_INVALID_OFFSET' };
    if (offset === OffsetOldest) return { ok: 0 };
    if (offset === OffsetNewest) return { ok: this.all.length - 1 };
    if (offset < 0 || offset >= this.nextOffset) return { error: 'ERR_INVALID_OFFSET' };
    return { ok: offset };
  }

  getByKey(keyHex: string | null): ModelResult<number> {
    for (let i = this.all.length - 1; i >= 0; i--) if (this.all[i].key === keyHex) return { ok: i };
    return { error: 'ERR_NOT_FOUND' };
  }

  /** log.go GetByTime: segments newest first, each answering from its index times. */
  getByTime(ms: number): ModelResult<number> {
    const ts = ms * 1000;
    const segs = this.segments;
    if (this.all.length === 0) return { error: 'ERR_INVALID_OFFSET' };
    for (let i = segs.length - 1; i >= 0; i--) {
      const items = segs[i].messages;
      if (items.length === 0) return { error: 'ERR_INVALID_OFFSET' };
      if (ts < items[0].indexTime) {
        if (i === 0) return { ok: items[0].offset };
        continue;
      }
      if (ts === items[0].indexTime) return { ok: items[0].offset };
      if (items[items.length - 1].indexTime < ts) {
        if (i < segs.length - 1) return { ok: segs[i + 1].messages[0].offset };
        return { error: 'ERR_NOT_FOUND' };
      }
      return { ok: (items.find((m) => m.indexTime >= ts) as ModelMessage).offset };
    }
    return { error: 'ERR_NOT_FOUND' };
  }
}
