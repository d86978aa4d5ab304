/**
 * A generation as a projection uses it: the state (Generation), its
 * dead-letter log, and — while it is being fed — the pump and compactor.
 * A pump's listener goes through the slot's `role`, so the generation a
 * rebuild fills can become the live one without restarting its pump.
 */
import type { ResolvedDefinition } from './definition.js';
import { Compactor } from './compactor.js';
import { DeadLetters } from './dead-letters.js';
import { Generation } from './generation.js';
import type { GenerationLogs, GenerationStore } from './generations.js';
import type { ResolvedOptions } from './options.js';
import { Pump, type PumpListener } from './pump.js';

export interface Slot<S, E> {
  readonly logs: GenerationLogs;
  readonly gen: Generation<S>;
  readonly deadLetters: DeadLetters;
  pump?: Pump<S, E>;
  compactor?: Compactor;
  role: PumpListener<S>;
}

const idle: PumpListener<never> = { committed() {}, caughtUp() {}, failed() {} };

/** Opens generation `id`; a reason string instead when its state cannot be trusted. */
export async function openSlot<S, E>(
  store: GenerationStore,
  id: number,
  def: ResolvedDefinition<S, E>,
  options: ResolvedOptions,
): Promise<Slot<S, E> | string> {
  let logs: GenerationLogs;
  try {
    logs = await store.open(id);
  } catch (err) {
    // A state log that does not open cleanly (even with recover) is not to be trusted.
    if ((err as { code?: string }).code === 'ERR_CORRUPTED')
      return `the state log is corrupted: ${(err as Error).message}`;
    throw err;
  }
  try {
    const gen = await Generation.open(logs, def, options.cache);
    if (typeof gen === 'string') {
      await store.release(logs);
      return gen;
    }
    return { logs, gen, deadLetters: await DeadLetters.open(logs.deadLetter, def.name), role: idle };
  } catch (err) {
    await store.release(logs);
    if ((err as { code?: string }).code === 'ERR_CORRUPTED')
      return `the state log is corrupted: ${(err as Error).message}`;
    throw err;
  }
}

/** Starts feeding the slot from `from`, and its compaction schedule. */
export function feed<S, E>(
  slot: Slot<S, E>,
  def: ResolvedDefinition<S, E>,
  options: ResolvedOptions,
  from: number,
): void {
  const role: PumpListener<S> = {
    committed: (changes, checkpoint, events) => slot.role.committed(changes, checkpoint, events),
    caughtUp: () => slot.role.caughtUp(),
    failed: (error) => slot.role.failed(error),
  };
  slot.pump = new Pump(def, slot.gen, slot.deadLetters, options, role);
  slot.pump.start(from);
  if (options.compaction) {
    slot.compactor = new Compactor(slot.logs.state, options.compaction);
    slot.compactor.start();
  }
}

/** Stops the pump (after its commit under way) and the compaction. */
export async function starve<S, E>(slot: Slot<S, E>): Promise<void> {
  const { pump, compactor } = slot;
  slot.pump = undefined;
  slot.compactor = undefined;
  await Promise.all([pump?.stop(), compactor?.stop()]);
}

/** Stops the slot and deletes its generation. */
export async function discard<S, E>(store: GenerationStore, slot: Slot<S, E>): Promise<void> {
  await starve(slot);
  await slot.gen.drain();
  await store.release(slot.logs);
  await store.remove(slot.logs.id);
}
