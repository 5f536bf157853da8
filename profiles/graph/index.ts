/** Public API of the Microsoft Graph JSON import/export of certificate profiles. */
export * from './odata-types.ts';
export { importGraphProfile, importGraphProfileOrThrow, graphPathOf, idFromBindUrl } from './import-graph.ts';
export type { GraphImportResult } from './import-graph.ts';
export * from './export-graph.ts';
export { findJsonSyntaxError } from './json-syntax.ts';
export type { JsonSyntaxError } from './json-syntax.ts';
