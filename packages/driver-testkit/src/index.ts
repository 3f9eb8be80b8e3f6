/**
 * @dispatch/driver-testkit: the contract suite every Dispatch driver passes, its fixture functions, and
 * small helpers for drivers' own tests.
 */
export { driverContract } from './driver-contract.js';
export { autoscaleSuite } from './autoscale-suite.js';
export type { AutoscaleSuiteOptions } from './autoscale-suite.js';
export type { DriverContractContext, DriverContractOptions } from './driver-contract.js';
export { fixtureHandler, fixturePath, packFixture } from './fixtures.js';
export type { FixtureName } from './fixtures.js';
export { callFunction, collectLogs, deploySpec, eventually, plainImage, waitForLogLine } from './helpers.js';
export type { CallOptions } from './helpers.js';
export * from './engines.js';
export { freePort, getWithHost } from './net.js';
export { isolatedPostgresUrl, postgresTestUrl } from './postgres.js';
export { PROMETHEUS_BINARY, requirePrometheus, startTestPrometheus } from './prometheus.js';
export type { PrometheusSample, TestPrometheus, TestPrometheusOptions } from './prometheus.js';
export { HTPASSWD_BINARY, REGISTRY_BINARY, requireRegistry, startTestRegistry } from './registry.js';
export type { TestRegistry, TestRegistryOptions } from './registry.js';
export { followProgress, localLanguageImages, pushLanguageImages, registryAuthConfig } from './registry-images.js';
export { removeTestImages } from './test-images.js';
export { RUNNABLE_MARKER, blocksScript, runnableBlocks } from './doc-blocks.js';
export type { DocBlock } from './doc-blocks.js';
