/**
 * given / when / then for workflows, like DeciderSpecification: no store,
 * no handlers. The given inputs go through decide and evolve as the runtime
 * takes them (an instance that completed ignores the rest); `when` is
 * decided on the state they leave.
 *
 *   const given = WorkflowSpecification.for(transfer);
 *   given([requested]).when(debited).then([send('accounts', 'account-bob', credit)]);
 */
import assert from 'node:assert/strict';
import type { Event } from '../../eventstore/index.js';
import { checkExpectedEvents, matchesError, type ExpectedError } from '../../aggregates/testing/expectations.js';
import type { WorkflowDefinition, WorkflowInput } from '../workflow-definition.js';
import { decidedOutputs, type WorkflowOutput } from '../workflow-outputs.js';

export interface WorkflowThen<State, Command> {
  /** decide returned exactly these outputs, in this order. */
  then(expected: WorkflowOutput<Command> | readonly WorkflowOutput<Command>[]): void;
  /** decide took the input with no output. */
  thenNothingHappened(): void;
  /** The instance had completed: the input is ignored, decide is not called. */
  thenIgnored(): void;
  /** decide refused the input: with an error of this class, matching this pattern, or passing this check. */
  thenThrows(expected?: ExpectedError): void;
  /** The state once the input was taken. */
  thenState(expected: State): void;
}

export interface WorkflowWhen<Input extends Event, State, Command> {
  when(input: WorkflowInput<Input, Command>): WorkflowThen<State, Command>;
}

export type WorkflowGiven<Input extends Event, State, Command> = (
  inputs?: WorkflowInput<Input, Command> | readonly WorkflowInput<Input, Command>[],
) => WorkflowWhen<Input, State, Command>;

export const WorkflowSpecification = {
  for<Input extends Event, State, Command>(
    definition: WorkflowDefinition<Input, State, Command>,
  ): WorkflowGiven<Input, State, Command> {
    const decide = (input: WorkflowInput<Input, Command>, state: State): WorkflowOutput<Command>[] => {
      const decided = definition.decide(input, state);
      // Checked as the runtime checks them (targets, streams, times), compared as returned.
      decidedOutputs(decided, definition.outputs ?? [], 0);
      return asList(decided);
    };
    return (given = []) => ({
      when(input) {
        let state = definition.initialState();
        let completed = false;
        for (const g of asList(given)) {
          if (completed) continue;
          const outputs = decide(g, state);
          state = definition.evolve(state, g);
          completed = outputs.some((o) => o.type === 'complete');
        }
        const taken = (): WorkflowOutput<Command>[] => {
          if (completed) assert.fail('the instance had completed: the input is ignored (use thenIgnored)');
          return decide(input, state);
        };
        return {
          then(expected) {
            assert.deepStrictEqual(taken(), asList(checkExpectedEvents(expected)));
          },
          thenNothingHappened() {
            assert.deepStrictEqual(taken(), [], 'expected the input to be taken with no output');
          },
          thenIgnored() {
            assert.ok(completed, 'expected the instance to have completed, but it had not');
          },
          thenThrows(expected) {
            let outputs: WorkflowOutput<Command>[];
            try {
              outputs = taken();
            } catch (err) {
              if (err instanceof assert.AssertionError) throw err;
              matchesError(err, expected);
              return;
            }
            assert.fail(`expected decide to throw, but it returned ${JSON.stringify(outputs)}`);
          },
          thenState(expected) {
            taken();
            assert.deepStrictEqual(definition.evolve(state, input), expected);
          },
        };
      },
    });
  },
};

const asList = <T>(v: T | readonly T[] | undefined): T[] =>
  v === undefined ? [] : Array.isArray(v) ? [...(v as readonly T[])] : [v as T];
