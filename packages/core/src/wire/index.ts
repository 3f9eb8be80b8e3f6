export * from './wire-connection.js';
export * from './wire-errors.js';
export * from './wire-frame.js';
