export * from './decode-source.js';
export * from './pack-source.js';
export * from './unpack-source.js';
