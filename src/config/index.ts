// The daemon config: schema, defaults, loading with errors that name the file, path and rule.
export * from './schema.ts';
export * from './load.ts';
export { DEFAULT_CONFIG } from './default.ts';
