/**
 * A decider is plain data and pure functions: no I/O, no clock, no store.
 * The command handler does the loading and appending around it, and the
 * given/when/then helpers test it without any of that.
 */
import type { Event } from '../eventstore/index.js';

export interface Decider<State, Command, E extends Event> {
  initialState: () => State;
  evolve: (state: State, event: E) => State;
  /** Throw to reject the command; return no events to accept it with no change. */
  decide: (command: Command, state: State) => E | readonly E[];
  /**
   * The version of the state's shape (default 1), recorded in snapshots.
   * Bump it whenever evolve starts producing a differently shaped state:
   * snapshots of the old shape are then ignored and replaced, never fed to
   * the new code.
   */
  stateVersion?: number;
}

/** The state after `events`, starting from `state`. */
export function evolveAll<State, E extends Event>(
  decider: Pick<Decider<State, unknown, E>, 'evolve'>,
  state: State,
  events: readonly E[],
): State {
  let current = state;
  for (const event of events) current = decider.evolve(current, event);
  return current;
}

/** decide's answer as a list. */
export function decideEvents<State, Command, E extends Event>(
  decider: Pick<Decider<State, Command, E>, 'decide'>,
  command: Command,
  state: State,
): E[] {
  const decided = decider.decide(command, state);
  return Array.isArray(decided) ? [...(decided as readonly E[])] : [decided as E];
}

export function stateVersionOf(decider: Pick<Decider<unknown, unknown, Event>, 'stateVersion'>): number {
  return decider.stateVersion ?? 1;
}
