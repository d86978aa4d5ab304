// Test helpers: part of the product, so users test their deciders and handlers the way we test ours.
export { DeciderSpecification } from './decider-specification.js';
export type { DeciderGiven, DeciderThen, DeciderWhen } from './decider-specification.js';
export { CommandHandlerSpecification, withTemporaryEventStore } from './command-handler-specification.js';
export type {
  CommandHandlerSpecificationOptions,
  HandlerGiven,
  HandlerThen,
  HandlerWhen,
  TemporaryStores,
} from './command-handler-specification.js';
export type { ExpectedError } from './expectations.js';
