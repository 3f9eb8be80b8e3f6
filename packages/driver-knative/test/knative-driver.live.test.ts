import { describe } from 'vitest';
import { driverContract } from '@dispatch/driver-testkit';
import { createKnativeDriver, knativeDriverOptionsFromEnv } from '../src/index.js';

/**
 * The contract suite against a real cluster with Knative Serving, when KUBECONFIG names one. Images are
 * built with the local Docker engine and pushed to DISPATCH_REGISTRY_URL (the cluster must pull them);
 * DISPATCH_KNATIVE_INGRESS is the ingress address when this machine is outside the cluster.
 */
const kubeconfig = process.env.KUBECONFIG;
if (kubeconfig === undefined || kubeconfig === '') {
  console.warn(
    'skipping the live knative tests: set KUBECONFIG to a cluster with Knative Serving (and DISPATCH_REGISTRY_URL, DISPATCH_KNATIVE_INGRESS)',
  );
}

describe.runIf(kubeconfig !== undefined && kubeconfig !== '')('knative driver against a real cluster', () => {
  driverContract({
    name: 'knative (live cluster)',
    timeoutScale: 4,
    createDriver: () => createKnativeDriver({ ...knativeDriverOptionsFromEnv(), kubeconfig }),
  });
});
