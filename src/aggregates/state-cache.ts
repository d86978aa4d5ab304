/**
 * The folded state of recently used streams, for the command handler: a
 * command on a cached stream reads only the events after the cached version
 * and runs `evolve` over those, so its cost does not grow with the stream's
 * length.
 *
 * An entry is the state after exactly the stream's first `version` events
 * (the newest of them at log offset `position`). That stays true however
 * many events are appended later, by this process or another: the log only
 * grows, so the entry is a prefix to continue from, never a state to trust
 * as the newest. Entries only move forward (commands finishing out of order
 * cannot put an older state back).
 */
import { LRUCache } from 'lru-cache';

export interface FoldedState<State> {
  state: State;
  /** The stream version the state includes (0: no events). */
  version: number;
  /** Log offset of the newest event the state includes; -1 with none. */
  position: number;
  /** The version of the newest snapshot saved or loaded for the stream (0: none): when the next one is due. */
  snapshotVersion: number;
}

export class StateCache<State> {
  private readonly entries: LRUCache<string, FoldedState<State>> | undefined;

  /** max 0: nothing is cached. */
  constructor(max: number) {
    this.entries = max > 0 ? new LRUCache({ max }) : undefined;
  }

  get(streamId: string): FoldedState<State> | undefined {
    return this.entries?.get(streamId);
  }

  /** Keeps `folded` unless the entry already includes more of the stream. */
  set(streamId: string, folded: FoldedState<State>): void {
    if (!this.entries) return;
    // peek: the set below makes the entry the newest anyway.
    const cached = this.entries.peek(streamId);
    if (cached && cached.version > folded.version) return;
    this.entries.set(streamId, folded);
  }

  delete(streamId: string): void {
    this.entries?.delete(streamId);
  }
}
