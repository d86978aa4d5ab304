// Test helpers: part of the product, so users test their projections the way we test ours.
export { ProjectionSpecification } from './projection-specification.js';
export type { GivenEvents, ProjectionSpecificationOptions, ProjectionThen } from './projection-specification.js';
