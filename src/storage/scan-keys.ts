/**
 * The per-key bookkeeping of a compaction's scan: one entry per distinct key,
 * found from the key's bytes where the scan read them, with a number kept per
 * entry. A Map keyed by a string cut from each record made a string per
 * record (a million for a million messages) and hashed it again; this hashes
 * the bytes in place (FNV-1a) and compares them with the copy the entry
 * keeps. Null and empty keys are one key, as on disk.
 */
const INITIAL_ENTRIES = 256;

export class ScanKeys {
  /** Entry number of each slot of the open-addressing table, -1 when free; twice the entries at least. */
  private slots = new Int32Array(INITIAL_ENTRIES * 2).fill(-1);
  private hashes = new Int32Array(INITIAL_ENTRIES);
  private starts = new Int32Array(INITIAL_ENTRIES);
  private lengths = new Int32Array(INITIAL_ENTRIES);
  /** The keys' bytes, one after the other. */
  private arena = Buffer.allocUnsafe(INITIAL_ENTRIES * 16);
  private arenaUsed = 0;
  private count = 0;
  /** One number per entry, for the caller (0 in a new entry). */
  values = new Float64Array(INITIAL_ENTRIES);
  /** Whether the last entry() call made the entry. */
  added = false;

  /** The entry of the key held in buf[start, start + length), made when the key is new. */
  entry(buf: Uint8Array, start: number, length: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < start + length; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s]!;
      if (e < 0) {
        this.added = true;
        return this.insert(s, h, buf, start, length);
      }
      if (this.hashes[e] === h && this.lengths[e] === length && this.holds(e, buf, start, length)) {
        this.added = false;
        return e;
      }
    }
  }

  private holds(e: number, buf: Uint8Array, start: number, length: number): boolean {
    const arena = this.arena;
    const at = this.starts[e]!;
    for (let i = 0; i < length; i++) if (arena[at + i] !== buf[start + i]) return false;
    return true;
  }

  private insert(slot: number, h: number, buf: Uint8Array, start: number, length: number): number {
    const e = this.count++;
    if (e === this.hashes.length) this.growEntries();
    if (this.arenaUsed + length > this.arena.length) {
      const arena = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.arenaUsed + length));
      this.arena.copy(arena, 0, 0, this.arenaUsed);
      this.arena = arena;
    }
    this.arena.set(buf.subarray(start, start + length), this.arenaUsed);
    this.starts[e] = this.arenaUsed;
    this.arenaUsed += length;
    this.lengths[e] = length;
    this.hashes[e] = h;
    this.slots[slot] = e;
    // At most half full, so a probe ends soon at a free slot.
    if (this.count * 2 > this.slots.length) this.rehash();
    return e;
  }

  private growEntries(): void {
    const grow = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.hashes = grow(this.hashes);
    this.starts = grow(this.starts);
    this.lengths = grow(this.lengths);
    this.values = grow(this.values);
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let e = 0; e < this.count; e++) {
      let s = this.hashes[e]! & mask;
      while (slots[s]! >= 0) s = (s + 1) & mask;
      slots[s] = e;
    }
    this.slots = slots;
  }
}
