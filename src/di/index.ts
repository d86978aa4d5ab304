// klevdb/di: tsyringe wiring. reflect-metadata must be loaded before tsyringe
// and before any decorated class is defined; importing klevdb/di first does both.
// The declarations use Node's types (Buffer, AbortSignal): this keeps them
// compiling in a project whose tsconfig lists no types (`types: []`).
/// <reference types="node" preserve="true" />
import 'reflect-metadata';

export { Tokens, eventStoreToken } from './tokens.js';
export { createContainer, createTestContainer } from './containers.js';
export type { AppContainerOptions, ContainerOptions } from './containers.js';
// Re-exported so an app imports its decorators from here, after reflect-metadata.
export { container, inject, injectable, singleton } from 'tsyringe';
export type { DependencyContainer, InjectionToken } from 'tsyringe';
