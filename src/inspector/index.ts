// The web inspector: a read-only page over logs and projection state (`klevdb ui`).
export { startInspector, isLoopback, VERSION } from './server.js';
export type { Inspector, InspectorOptions } from './server.js';
export type { CatalogOptions, LogEntry, ProjectionEntry } from './catalog.js';
export { CONTENT_SECURITY_POLICY } from './http.js';
