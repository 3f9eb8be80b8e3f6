/** The version the harness reports: the Kubernetes API it imitates, marked as the harness. */
export const HARNESS_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-dispatch-kube-harness',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.22.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const VERBS = ['delete', 'get', 'list', 'patch', 'create', 'update', 'watch'];
/** What the harness serves of Jobs, ConfigMaps and Secrets. */
const WORKLOAD_VERBS = ['create', 'delete', 'get', 'list'];

/** Discovery documents (`/version`, `/api`, `/apis`, …) for the paths clients ask before calling. */
export function discovery(path: string): unknown {
  const clean = path.replace(/\/+$/, '');
  switch (clean) {
    case '/version':
      return HARNESS_VERSION;
    case '/api':
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
      };
    case '/api/v1':
      return {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
          { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
          { name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap', verbs: WORKLOAD_VERBS, shortNames: ['cm'] },
          { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: WORKLOAD_VERBS },
        ],
      };
    case '/apis':
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: 'serving.knative.dev',
            versions: [{ groupVersion: 'serving.knative.dev/v1', version: 'v1' }],
            preferredVersion: { groupVersion: 'serving.knative.dev/v1', version: 'v1' },
          },
          {
            name: 'batch',
            versions: [{ groupVersion: 'batch/v1', version: 'v1' }],
            preferredVersion: { groupVersion: 'batch/v1', version: 'v1' },
          },
        ],
      };
    case '/apis/batch/v1':
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'batch/v1',
        resources: [{ name: 'jobs', singularName: 'job', namespaced: true, kind: 'Job', verbs: WORKLOAD_VERBS, categories: ['all'] }],
      };
    case '/apis/serving.knative.dev':
      return {
        kind: 'APIGroup',
        apiVersion: 'v1',
        name: 'serving.knative.dev',
        versions: [{ groupVersion: 'serving.knative.dev/v1', version: 'v1' }],
        preferredVersion: { groupVersion: 'serving.knative.dev/v1', version: 'v1' },
      };
    case '/apis/serving.knative.dev/v1':
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'serving.knative.dev/v1',
        resources: [
          {
            name: 'services',
            singularName: 'service',
            namespaced: true,
            kind: 'Service',
            verbs: VERBS,
            shortNames: ['kservice', 'ksvc'],
            categories: ['all', 'knative', 'serving'],
          },
          { name: 'services/status', singularName: '', namespaced: true, kind: 'Service', verbs: ['get', 'patch', 'update'] },
          {
            name: 'revisions',
            singularName: 'revision',
            namespaced: true,
            kind: 'Revision',
            verbs: ['get', 'list', 'watch'],
            shortNames: ['rev'],
          },
        ],
      };
    default:
      return undefined;
  }
}
