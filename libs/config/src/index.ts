export * from './environment.js';
export * from './json-schema.js';
export * from './rules.js';
export * from './settings.js';
