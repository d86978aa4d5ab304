/**
 * given / when / then for deciders. Deciders are pure, so the spec is
 * synchronous and needs no store:
 *
 *   const given = DeciderSpecification.for(account);
 *   given([opened]).when(deposit(10)).then([deposited(10)]);
 */
import assert from 'node:assert/strict';
import type { Event } from '../../eventstore/index.js';
import { decideEvents, evolveAll, type Decider } from '../decider.js';
import { checkExpectedEvents, matchesError, type ExpectedError } from './expectations.js';

export interface DeciderThen<State, E extends Event> {
  /** decide returned exactly these events, in this order. */
  then(expected: E | readonly E[]): void;
  /** decide accepted the command without any event. */
  thenNothingHappened(): void;
  /** decide rejected the command: with an error of this class, matching this pattern, or passing this check. */
  thenThrows(expected?: ExpectedError): void;
  /** The state after the given events and the decided ones. */
  thenState(expected: State): void;
}

export interface DeciderWhen<State, Command, E extends Event> {
  when(command: Command): DeciderThen<State, E>;
}

export type DeciderGiven<State, Command, E extends Event> = (
  events?: E | readonly E[],
) => DeciderWhen<State, Command, E>;

export const DeciderSpecification = {
  for<State, Command, E extends Event>(decider: Decider<State, Command, E>): DeciderGiven<State, Command, E> {
    return (given = []) => ({
      when(command) {
        const state = evolveAll(decider, decider.initialState(), asList(given));
        const decide = (): E[] => decideEvents(decider, command, state);
        return {
          then(expected) {
            assert.deepStrictEqual(decide(), asList(checkExpectedEvents(expected)));
          },
          thenNothingHappened() {
            assert.deepStrictEqual(decide(), [], 'expected the command to be accepted with no events');
          },
          thenThrows(expected) {
            let decided: E[];
            try {
              decided = decide();
            } catch (err) {
              matchesError(err, expected);
              return;
            }
            assert.fail(`expected decide to throw, but it returned ${JSON.stringify(decided)}`);
          },
          thenState(expected) {
            assert.deepStrictEqual(evolveAll(decider, state, decide()), expected);
          },
        };
      },
    });
  },
};

const asList = <E>(events: E | readonly E[]): E[] =>
  Array.isArray(events) ? [...(events as readonly E[])] : [events as E];
