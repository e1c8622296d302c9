export * from './shared-store.js';
export * from './entry.codec.js';
export * from './load-coordinator.js';
export * from './load-failure.js';
export * from './memory.store.js';
export * from './redis.store.js';
