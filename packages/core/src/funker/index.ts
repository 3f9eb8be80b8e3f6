export * from './funker-client.js';
export * from './funker-errors.js';
export * from './funker-server.js';
