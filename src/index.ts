// The package root: the public API of klevdb (docs/api/storage.md describes it),
// which is the storage module's public face.
// The declarations use Node's types (Buffer, AbortSignal): this keeps them
// compiling in a project whose tsconfig lists no types (`types: []`).
/// <reference types="node" preserve="true" />
export * from './storage/index.js';
