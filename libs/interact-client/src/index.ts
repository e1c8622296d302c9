export * from './flow-transport.js';
export * from './page.reader.js';
export * from './rest.transport.js';
export * from './soap.transport.js';
export * from './upstream-account.js';
export * from './upstream-answer.reader.js';
export * from './upstream.errors.js';
