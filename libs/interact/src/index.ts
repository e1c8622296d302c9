export * from './page.model.js';
export * from './protocol.js';
