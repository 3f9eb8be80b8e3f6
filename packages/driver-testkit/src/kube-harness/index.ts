/**
 * The Kubernetes API test harness: a stand-in API server for `serving.knative.dev/v1` Services, with a
 * reconciler on the real Docker engine and an ingress, for testing the knative driver without a cluster.
 */
export { startKubeHarness } from './kube-harness.js';
export type { KubeHarness, KubeHarnessOptions } from './kube-harness.js';
export type { PullCredentials } from './container-runtime.js';
export { knativeServiceSchema, loadCrdSchema } from './crd-schema.js';
export type { CrdSchema } from './crd-schema.js';
export { defaultKnativeService, validateKnativeService, RESERVED_PORTS } from './knative-webhook.js';
export { KubeApiError } from './api-errors.js';
export type { KubeStatus, StatusCause } from './api-errors.js';
export { parseLabelSelector } from './label-selector.js';
